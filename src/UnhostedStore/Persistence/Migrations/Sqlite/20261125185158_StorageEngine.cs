using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StorageEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "InlineContent",
                table: "StorageNodes",
                type: "BLOB",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "QuotaBytes",
                table: "StorageAccounts",
                type: "INTEGER",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "InlineContent",
                table: "StorageNodes");

            migrationBuilder.DropColumn(
                name: "QuotaBytes",
                table: "StorageAccounts");
        }
    }
}
