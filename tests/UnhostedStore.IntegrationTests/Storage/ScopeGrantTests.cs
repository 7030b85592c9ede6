using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Authorization;
using UnhostedStore.IntegrationTests.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>
/// draft-26 §9: "public" is never a module, so no grant can name it. The admin CLI's
/// <c>tokens issue</c>, the operator's way to mint a token, refuses such a scope and stores no
/// grant (the OAuth dialog's refusal is in OAuth/ImplicitFlowTests).
/// </summary>
public sealed class ScopeGrantTests(SqliteServerFixture server) : IClassFixture<SqliteServerFixture>
{
    [Theory]
    [InlineData("public:rw")]
    [InlineData("public:r")]
    [InlineData("notes:x")]
    public async Task The_cli_refuses_a_token_for_an_invalid_scope_and_stores_no_grant(string scope)
    {
        var user = ServerFixture.NewUser();
        await using (var services = server.CreateScope())
        {
            await TestTokens.EnsureAccountAsync(services.ServiceProvider, user);
        }

        var result = await CliRunner.RunAsync(server, null, "tokens", "issue", user, "--scope", scope);
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Contains($"'{scope}' is not a valid scope", result.Stderr, StringComparison.Ordinal);

        await using (var services = server.CreateScope())
        {
            Assert.Empty(await services.ServiceProvider.GetRequiredService<Grants>().ListAsync(user, CancellationToken.None));
        }
    }
}
