using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class TokenCacheInvalidation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The validated-token cache (ValidatedTokenCache) empties itself when this counter
            // moves. Triggers move it on every status or expiry change and every deletion of a
            // token or grant, whichever process or library code makes it (CLI, OpenIddict's
            // code-replay revocation, bulk updates).
            migrationBuilder.Sql("""
                CREATE TABLE "AuthEpoch" ("Id" INTEGER NOT NULL PRIMARY KEY, "Epoch" INTEGER NOT NULL);
                INSERT INTO "AuthEpoch" ("Id", "Epoch") VALUES (1, 0);
                CREATE TRIGGER "TR_OpenIddictTokens_Changed" AFTER UPDATE OF "Status", "ExpirationDate" ON "OpenIddictTokens"
                FOR EACH ROW WHEN OLD."Status" IS NOT NEW."Status" OR OLD."ExpirationDate" IS NOT NEW."ExpirationDate"
                BEGIN UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1; END;
                CREATE TRIGGER "TR_OpenIddictTokens_Deleted" AFTER DELETE ON "OpenIddictTokens"
                BEGIN UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1; END;
                CREATE TRIGGER "TR_OpenIddictAuthorizations_Changed" AFTER UPDATE OF "Status" ON "OpenIddictAuthorizations"
                FOR EACH ROW WHEN OLD."Status" IS NOT NEW."Status"
                BEGIN UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1; END;
                CREATE TRIGGER "TR_OpenIddictAuthorizations_Deleted" AFTER DELETE ON "OpenIddictAuthorizations"
                BEGIN UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1; END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_OpenIddictTokens_Changed";
                DROP TRIGGER "TR_OpenIddictTokens_Deleted";
                DROP TRIGGER "TR_OpenIddictAuthorizations_Changed";
                DROP TRIGGER "TR_OpenIddictAuthorizations_Deleted";
                DROP TABLE "AuthEpoch";
                """);
        }
    }
}
