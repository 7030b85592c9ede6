using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DocumentHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ModifiedBy",
                table: "StorageNodes",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "HistoryBytes",
                table: "StorageAccounts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "DocumentVersions",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Owner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    ETag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ContentType = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    ContentLength = table.Column<long>(type: "bigint", nullable: false),
                    BlobKey = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    InlineContent = table.Column<byte[]>(type: "bytea", nullable: true),
                    CreatedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    ReplacedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ReplacedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    Deleted = table.Column<bool>(type: "boolean", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DocumentVersions", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_StorageNodes_BlobKey",
                table: "StorageNodes",
                column: "BlobKey",
                filter: "\"BlobKey\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_BlobKey",
                table: "DocumentVersions",
                column: "BlobKey",
                filter: "\"BlobKey\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_Owner_Path_ReplacedUtc",
                table: "DocumentVersions",
                columns: new[] { "Owner", "Path", "ReplacedUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_Owner_ReplacedUtc",
                table: "DocumentVersions",
                columns: new[] { "Owner", "ReplacedUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_ReplacedUtc",
                table: "DocumentVersions",
                column: "ReplacedUtc");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DocumentVersions");

            migrationBuilder.DropIndex(
                name: "IX_StorageNodes_BlobKey",
                table: "StorageNodes");

            migrationBuilder.DropColumn(
                name: "ModifiedBy",
                table: "StorageNodes");

            migrationBuilder.DropColumn(
                name: "HistoryBytes",
                table: "StorageAccounts");
        }
    }
}
