using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
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
                    UserName = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    WriteVersion = table.Column<long>(type: "bigint", nullable: false),
                    UsedBytes = table.Column<long>(type: "bigint", nullable: false),
                    DocumentCount = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_StorageAccounts", x => x.UserName);
                });

            migrationBuilder.CreateTable(
                name: "StorageNodes",
                columns: table => new
                {
                    Owner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    ParentPath = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    IsFolder = table.Column<bool>(type: "boolean", nullable: false),
                    ETag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    LastModifiedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ContentType = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    ContentLength = table.Column<long>(type: "bigint", nullable: false),
                    BlobKey = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ChildCount = table.Column<int>(type: "integer", nullable: false)
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
