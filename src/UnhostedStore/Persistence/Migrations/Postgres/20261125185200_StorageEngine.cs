using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
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
                type: "bytea",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "QuotaBytes",
                table: "StorageAccounts",
                type: "bigint",
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
