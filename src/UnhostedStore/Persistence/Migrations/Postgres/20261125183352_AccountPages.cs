using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class AccountPages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "GrantUsage",
                columns: table => new
                {
                    AuthorizationId = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    LastUsedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GrantUsage", x => x.AuthorizationId);
                });

            migrationBuilder.CreateTable(
                name: "Invites",
                columns: table => new
                {
                    TokenHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    CreatedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    ExpiresUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    UsedBy = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    UsedUtc = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Invites", x => x.TokenHash);
                });

            migrationBuilder.CreateTable(
                name: "ModuleUsage",
                columns: table => new
                {
                    Owner = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Module = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    UsedBytes = table.Column<long>(type: "bigint", nullable: false),
                    DocumentCount = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ModuleUsage", x => new { x.Owner, x.Module });
                });

            // Documents stored before this migration: count them once (StoragePath.Module:
            // the first segment, or the second under /public/; "" for top-level documents).
            migrationBuilder.Sql("""
                INSERT INTO "ModuleUsage" ("Owner", "Module", "UsedBytes", "DocumentCount")
                SELECT "Owner", m, SUM("ContentLength"), COUNT(*) FROM (
                    SELECT "Owner", "ContentLength", CASE WHEN strpos(r, '/') > 1 THEN substr(r, 1, strpos(r, '/') - 1) ELSE '' END AS m
                    FROM (
                        SELECT "Owner", "ContentLength",
                            CASE WHEN substr("Path", 1, 8) = '/public/' THEN substr("Path", 9) ELSE substr("Path", 2) END AS r
                        FROM "StorageNodes" WHERE "IsFolder" = false) AS d) AS e
                GROUP BY "Owner", m;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "GrantUsage");

            migrationBuilder.DropTable(
                name: "Invites");

            migrationBuilder.DropTable(
                name: "ModuleUsage");
        }
    }
}
