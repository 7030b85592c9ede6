using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace UnhostedStore.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TokenCacheInvalidation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // The validated-token cache (ValidatedTokenCache) of every instance LISTENs on this
            // channel. Triggers notify the id of every token or grant whose status or expiry
            // changes or that is deleted, whichever process or library code does it (CLI,
            // OpenIddict's code-replay revocation, bulk updates); delivery is at commit.
            migrationBuilder.Sql("""
                CREATE FUNCTION unhostedstore_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM pg_notify('unhostedstore_auth', OLD."Id");
                    RETURN NULL;
                END $$;
                CREATE TRIGGER "TR_OpenIddictTokens_Changed" AFTER UPDATE OF "Status", "ExpirationDate" ON "OpenIddictTokens"
                FOR EACH ROW WHEN (OLD."Status" IS DISTINCT FROM NEW."Status" OR OLD."ExpirationDate" IS DISTINCT FROM NEW."ExpirationDate")
                EXECUTE FUNCTION unhostedstore_auth_changed();
                CREATE TRIGGER "TR_OpenIddictTokens_Deleted" AFTER DELETE ON "OpenIddictTokens"
                FOR EACH ROW EXECUTE FUNCTION unhostedstore_auth_changed();
                CREATE TRIGGER "TR_OpenIddictAuthorizations_Changed" AFTER UPDATE OF "Status" ON "OpenIddictAuthorizations"
                FOR EACH ROW WHEN (OLD."Status" IS DISTINCT FROM NEW."Status")
                EXECUTE FUNCTION unhostedstore_auth_changed();
                CREATE TRIGGER "TR_OpenIddictAuthorizations_Deleted" AFTER DELETE ON "OpenIddictAuthorizations"
                FOR EACH ROW EXECUTE FUNCTION unhostedstore_auth_changed();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER "TR_OpenIddictTokens_Changed" ON "OpenIddictTokens";
                DROP TRIGGER "TR_OpenIddictTokens_Deleted" ON "OpenIddictTokens";
                DROP TRIGGER "TR_OpenIddictAuthorizations_Changed" ON "OpenIddictAuthorizations";
                DROP TRIGGER "TR_OpenIddictAuthorizations_Deleted" ON "OpenIddictAuthorizations";
                DROP FUNCTION unhostedstore_auth_changed();
                """);
        }
    }
}
