using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
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
                    AuthorizationId = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    LastUsedUtc = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GrantUsage", x => x.AuthorizationId);
                });

            migrationBuilder.CreateTable(
                name: "Invites",
                columns: table => new
                {
                    TokenHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    CreatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ExpiresUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UsedBy = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    UsedUtc = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Invites", x => x.TokenHash);
                });

            migrationBuilder.CreateTable(
                name: "ModuleUsage",
                columns: table => new
                {
                    Owner = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    Module = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    UsedBytes = table.Column<long>(type: "INTEGER", nullable: false),
                    DocumentCount = table.Column<long>(type: "INTEGER", nullable: false)
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
                    SELECT "Owner", "ContentLength", CASE WHEN instr(r, '/') > 1 THEN substr(r, 1, instr(r, '/') - 1) ELSE '' END AS m
                    FROM (
                        SELECT "Owner", "ContentLength",
                            CASE WHEN substr("Path", 1, 8) = '/public/' THEN substr("Path", 9) ELSE substr("Path", 2) END AS r
                        FROM "StorageNodes" WHERE "IsFolder" = 0) AS d) AS e
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
