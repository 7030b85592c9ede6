using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.Accounts;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// No user enumeration: the login, the recovery-code login and sign-up answer names of
/// accounts and names of none with the same words, and the login takes about as long for both.
/// Each request comes from its own client IP, so no limit is met.
/// </summary>
public abstract partial class EnumerationTests(ServerFixture server)
{
    private const string Password = SecurityPages.Password;

    private Browser From() => new(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };

    /// <summary>The text of the page's error summary (<c>role="alert"</c>), tags removed.</summary>
    public static string ErrorText(string page) =>
        Html.Text(Tags().Replace(Html.Element(page, "role=\"alert\"", "</div>") ?? string.Empty, " ")).Trim();

    /// <summary>The page with what differs by design taken out: the name typed (echoed in the
    /// form) and the per-request antiforgery token.</summary>
    private static string Normalized(string page, string name) =>
        Token().Replace(page.Replace(name, "NAME", StringComparison.Ordinal), "value=\"TOKEN\"");

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Tags();

    [GeneratedRegex("value=\"CfDJ8[^\"]*\"")]
    private static partial Regex Token();

    private async Task<string> AccountAsync(bool withPassword = true)
    {
        var user = ServerFixture.NewUser();
        await using var scope = server.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Persistence.UserAccount>>();
        Assert.True((await AccountCommands.CreateAsync(users, TimeProvider.System, user, withPassword ? Password : null, isAdmin: false)).Succeeded);
        return user;
    }

    private async Task<(HttpStatusCode Status, string Page, TimeSpan Took)> LoginAsync(string name, string password)
    {
        using var browser = From();
        var page = await browser.GetPageAsync("/login");
        var watch = Stopwatch.StartNew();
        using var response = await browser.SubmitAsync(page, "id=\"login\"", ("UserName", name), ("Password", password));
        var body = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, body, watch.Elapsed);
    }

    [Fact]
    public async Task The_login_answers_a_wrong_password_and_a_name_of_no_account_with_the_same_page()
    {
        var known = await AccountAsync();
        var passwordless = await AccountAsync(withPassword: false);
        var unknown = ServerFixture.NewUser();

        var wrong = await LoginAsync(known, "not the password at all");
        var none = await LoginAsync(unknown, "not the password at all");
        var noPassword = await LoginAsync(passwordless, "not the password at all");

        Assert.Equal(HttpStatusCode.OK, wrong.Status);
        Assert.Equal("The user name or password is not right.", ErrorText(wrong.Page));
        Assert.Equal((wrong.Status, Normalized(wrong.Page, known)), (none.Status, Normalized(none.Page, unknown)));
        Assert.Equal((wrong.Status, Normalized(wrong.Page, known)), (noPassword.Status, Normalized(noPassword.Page, passwordless)));
    }

    [Fact]
    public async Task The_login_takes_about_as_long_for_a_name_of_no_account_as_for_a_wrong_password()
    {
        var known = await AccountAsync();
        await LoginAsync(known, "warming up the hasher");
        await LoginAsync(ServerFixture.NewUser(), "warming up the hasher");

        var wrong = new List<double>();
        var none = new List<double>();
        for (var i = 0; i < 15; i++)
        {
            // Interleaved, so that whatever else the machine does hits both alike.
            wrong.Add((await LoginAsync(known, "wrong password " + i)).Took.TotalMilliseconds);
            none.Add((await LoginAsync(ServerFixture.NewUser(), "wrong password " + i)).Took.TotalMilliseconds);
        }

        // Without the decoy hash an unknown name skips the password hash (PBKDF2, 100,000
        // rounds) and answers several times faster; with it the medians are close.
        var ratio = Median(none) / Median(wrong);
        Assert.True(ratio is > 0.5 and < 2.0, $"median unknown {Median(none):F1} ms, median wrong password {Median(wrong):F1} ms");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    [Fact]
    public async Task The_recovery_code_login_gives_one_answer_whatever_the_name()
    {
        var withPassword = await AccountAsync();
        var passwordless = await AccountAsync(withPassword: false);
        var unknown = ServerFixture.NewUser();
        var answers = new List<(HttpStatusCode, string, string)>();
        foreach (var name in new[] { withPassword, passwordless, unknown })
        {
            using var browser = From();
            var page = await browser.GetPageAsync("/login/recovery");
            using var response = await browser.SubmitAsync(page, "id=\"recovery\"", ("UserName", name), ("Code", "ABCDE-FGHIJ"));
            var body = await response.Content.ReadAsStringAsync();
            answers.Add((response.StatusCode, ErrorText(body), Normalized(body, name)));
        }

        Assert.StartsWith("That recovery code is not right.", answers[0].Item2, StringComparison.Ordinal);
        Assert.Equal(answers[0], answers[1]);
        Assert.Equal(answers[0], answers[2]);
    }
}

/// <summary>Sign-up under <c>Accounts:Signup=Open</c>: a taken name gets neutral words.</summary>
public abstract class SignupEnumerationTests(OpenSignupFixture server) : EnumerationTests(server)
{
    [Fact]
    public async Task Sign_up_with_a_taken_name_says_only_that_it_cannot_be_used()
    {
        var taken = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, taken, SecurityPages.Password);
        using var browser = new Browser(server) { ClientIp = AbuseLimitedServerFixture.ClientIp() };
        var page = await browser.GetPageAsync("/signup");
        using var response = await browser.SubmitAsync(page, "id=\"signup\"", ("UserName", taken), ("Password", "a password of my own"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("That user name cannot be used. Choose another one.", ErrorText(body));
        Assert.DoesNotContain("taken", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("exists", body, StringComparison.OrdinalIgnoreCase);
    }
}

public sealed class EnumerationTests_Sqlite(OpenSignupSqliteFixture server) : SignupEnumerationTests(server), IClassFixture<OpenSignupSqliteFixture>;

public sealed class EnumerationTests_Postgres(OpenSignupPostgresFixture server) : SignupEnumerationTests(server), IClassFixture<OpenSignupPostgresFixture>;
