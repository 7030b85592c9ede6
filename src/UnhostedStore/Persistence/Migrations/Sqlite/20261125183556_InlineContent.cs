using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InlineContent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "InlineContent",
                table: "StorageNodes",
                type: "BLOB",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "InlineContent",
                table: "StorageNodes");
        }
    }
}
