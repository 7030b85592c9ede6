using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class RevocationEpoch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // A counter of token and grant changes, moved in the changing transaction. A storage
            // read answered from an instance's token cache reads it in its own round trip
            // (TokenRecheck): only when it has moved past the last change that instance has
            // handled is the token checked again. The epoch is bumped once per statement, after
            // its rows are locked, so that two bulk revocations never deadlock on the counter;
            // its notification comes after the statement's row notifications (AFTER ROW
            // triggers fire before AFTER STATEMENT ones), so an instance has dropped every id
            // of a change before it counts that change as handled. The id channel is unchanged
            // for instances of the previous version during a rolling upgrade.
            migrationBuilder.Sql("""
                CREATE TABLE "AuthEpoch" ("Id" integer NOT NULL PRIMARY KEY, "Epoch" bigint NOT NULL);
                INSERT INTO "AuthEpoch" ("Id", "Epoch") VALUES (1, 0);
                CREATE FUNCTION unhostedstore_auth_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    epoch bigint;
                BEGIN
                    UPDATE "AuthEpoch" SET "Epoch" = "Epoch" + 1 WHERE "Id" = 1 RETURNING "Epoch" INTO epoch;
                    PERFORM pg_notify('unhostedstore_auth_epoch', epoch::text);
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "TR_OpenIddictTokens_Epoch" AFTER UPDATE OF "Status", "ExpirationDate" OR DELETE ON "OpenIddictTokens"
                FOR EACH STATEMENT EXECUTE FUNCTION unhostedstore_auth_epoch();
                CREATE TRIGGER "TR_OpenIddictAuthorizations_Epoch" AFTER UPDATE OF "Status" OR DELETE ON "OpenIddictAuthorizations"
                FOR EACH STATEMENT EXECUTE FUNCTION unhostedstore_auth_epoch();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_OpenIddictTokens_Epoch" ON "OpenIddictTokens";
                DROP TRIGGER "TR_OpenIddictAuthorizations_Epoch" ON "OpenIddictAuthorizations";
                DROP FUNCTION unhostedstore_auth_epoch();
                DROP TABLE "AuthEpoch";
                """);
        }
    }
}
