using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ChangeLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "ChangeSeq",
                table: "StorageAccounts",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateTable(
                name: "ChangeLogEntries",
                columns: table => new
                {
                    Owner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Seq = table.Column<long>(type: "bigint", nullable: false),
                    Path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    ETag = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    ContentType = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true),
                    Deleted = table.Column<bool>(type: "boolean", nullable: false),
                    TimeUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChangeLogEntries", x => new { x.Owner, x.Seq });
                });

            migrationBuilder.CreateIndex(
                name: "IX_ChangeLogEntries_TimeUtc",
                table: "ChangeLogEntries",
                column: "TimeUtc");

            // The change streams of every instance LISTEN on this channel (ChangeNotifications).
            // One notification per inserting statement and user, "<last seq>:<user>", delivered at
            // commit: the listener reads the user's new entries itself, so the payload stays tiny
            // and a write costs no extra round trip.
            migrationBuilder.Sql("""
                CREATE FUNCTION unhostedstore_changes_logged() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE r record;
                BEGIN
                    FOR r IN SELECT "Owner", max("Seq") AS seq FROM new_entries GROUP BY "Owner" LOOP
                        PERFORM pg_notify('unhostedstore_changes', r.seq::text || ':' || r."Owner");
                    END LOOP;
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "TR_ChangeLogEntries_Inserted" AFTER INSERT ON "ChangeLogEntries"
                REFERENCING NEW TABLE AS new_entries
                FOR EACH STATEMENT EXECUTE FUNCTION unhostedstore_changes_logged();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_ChangeLogEntries_Inserted" ON "ChangeLogEntries";
                DROP FUNCTION unhostedstore_changes_logged();
                """);

            migrationBuilder.DropTable(
                name: "ChangeLogEntries");

            migrationBuilder.DropColumn(
                name: "ChangeSeq",
                table: "StorageAccounts");
        }
    }
}
