using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HistoryIndexesAppendOnly : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_DocumentVersions_Owner_Path_ReplacedUtc",
                table: "DocumentVersions");

            migrationBuilder.DropIndex(
                name: "IX_DocumentVersions_ReplacedUtc",
                table: "DocumentVersions");

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_Trash",
                table: "DocumentVersions",
                columns: new[] { "Owner", "Path" },
                filter: "\"Deleted\"");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_DocumentVersions_Trash",
                table: "DocumentVersions");

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_Owner_Path_ReplacedUtc",
                table: "DocumentVersions",
                columns: new[] { "Owner", "Path", "ReplacedUtc" });

            migrationBuilder.CreateIndex(
                name: "IX_DocumentVersions_ReplacedUtc",
                table: "DocumentVersions",
                column: "ReplacedUtc");
        }
    }
}
