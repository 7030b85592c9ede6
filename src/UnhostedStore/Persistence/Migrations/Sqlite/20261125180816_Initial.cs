using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "StorageAccounts",
                columns: table => new
                {
                    UserName = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    WriteVersion = table.Column<long>(type: "INTEGER", nullable: false),
                    UsedBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    DocumentCount = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StorageAccounts", x => x.UserName);
                });

            migrationBuilder.CreateTable(
                name: "StorageNodes",
                columns: table => new
                {
                    Owner = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    ParentPath = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    IsFolder = table.Column<bool>(type: "INTEGER", nullable: false),
                    ETag = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    LastModifiedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ContentType = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    ContentLength = table.Column<long>(type: "INTEGER", nullable: false),
                    BlobKey = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    ChildCount = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StorageNodes", x => new { x.Owner, x.Path });
                });

            migrationBuilder.CreateIndex(
                name: "IX_StorageNodes_Owner_ParentPath",
                table: "StorageNodes",
                columns: new[] { "Owner", "ParentPath" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "StorageAccounts");

            migrationBuilder.DropTable(
                name: "StorageNodes");
        }
    }
}
