using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.Origins;
using UnhostedStore.Pages.OAuth;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// Creating an app password (<see cref="AppPasswords"/>): a name, the modules and access (the
/// scopes of draft-26 §9) and a lifetime; the token is shown once, on the answer to the form.
/// App passwords are listed, and revoked, with the connected apps on the account page. Needs a
/// recent login (<see cref="RecentLogin"/>): whoever holds the token holds that access.
/// </summary>
[Authorize]
[RequireRecentLogin]
public sealed partial class AppPasswordsModel(
    AppPasswords appPasswords,
    StorageDbContext db,
    PublicUrls urls,
    Accounts.Quotas quotas,
    AuditTrail audit,
    IStringLocalizer<AccountText> t,
    IStringLocalizer<ConsentText> consent) : PageModel
{
    public const string PagePath = "/account/app-passwords";

    public string Name { get; private set; } = string.Empty;

    public string Scopes { get; private set; } = string.Empty;

    public int ExpiresDays { get; private set; } = 90;

    /// <summary>Problems with what was typed, by field ("" for the form as a whole).</summary>
    public IReadOnlyDictionary<string, string> Errors { get; private set; } = new Dictionary<string, string>();

    /// <summary>The new app password: shown once, as only its hash is kept.</summary>
    public AppPasswordCreated? Created { get; private set; }

    public IReadOnlyList<string> CreatedScopeLines { get; private set; } = [];

    /// <summary>The storage root a program is given with the token (draft-26 §8).</summary>
    public string StorageRoot { get; private set; } = string.Empty;

    /// <summary>The person's modules so far, as suggestions for the scopes.</summary>
    public IReadOnlyList<string> KnownModules { get; private set; } = [];

    public string? Error(string field) => Errors.TryGetValue(field, out var message) ? message : null;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostAsync([FromForm] string? name, [FromForm] string? scopes, [FromForm] int? expiresDays, CancellationToken ct)
    {
        Name = name ?? string.Empty;
        Scopes = scopes ?? string.Empty;
        ExpiresDays = expiresDays ?? -1;
        var outcome = await appPasswords.CreateAsync(User.Identity!.Name!, new AppPasswordRequest(name, scopes, expiresDays), ct);
        if (outcome.Succeeded)
        {
            Created = outcome.Created;
            var user = User.Identity!.Name!;

            // The name and scopes only: the token itself is never recorded.
            await audit.RecordAsync(AuditKind.AppPasswordCreated, user, AuditActor.Person(HttpContext, user), $"\"{Created!.Name}\" with {Created.Scopes}");
            CreatedScopeLines = Created!.Scopes.Scopes.Select(s => AuthorizeModel.Describe(s, consent)).ToList();
            Name = string.Empty;
            Scopes = string.Empty;
            ExpiresDays = 90;
        }
        else
        {
            // The first message of each field is the one to act on.
            Errors = outcome.Errors.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Translate(g.First().Value), StringComparer.Ordinal);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(ct);
        return Page();
    }

    /// <summary>A lifetime choice in the page's language.</summary>
    public static string DescribeExpiry(int days) => days switch
    {
        0 => Words.Of<AccountText>()["AppPw_UntilIRevoke"],
        365 => Words.Of<AccountText>()["AppPw_OneYear"],
        _ => Words.Count(days, "Day"),
    };

    /// <summary>
    /// The rules of <see cref="AppPasswordRequestValidator"/> and <see cref="AppPasswords"/> word
    /// their answers in English (the command line shares them); the page says each in its own
    /// language. An answer it does not know stays as it is.
    /// </summary>
    private string Translate(string english)
    {
        const string notAScope = "\" is not a module and access.";
        if (english.StartsWith('"') && english.IndexOf(notAScope, StringComparison.Ordinal) is > 0 and var end)
        {
            return t["AppPw_ErrorNotAScope", english[1..end]];
        }

        var key = english switch
        {
            _ when english.StartsWith("Give the app password a name", StringComparison.Ordinal) => "AppPw_ErrorNoName",
            _ when english.StartsWith("The name can be at most", StringComparison.Ordinal) => "AppPw_ErrorNameLength",
            _ when english.StartsWith("The name can't contain", StringComparison.Ordinal) => "AppPw_ErrorNameControl",
            _ when english.StartsWith("Say what the app password may use", StringComparison.Ordinal) => "AppPw_ErrorNoScopes",
            _ when english.StartsWith("The list of modules is too long", StringComparison.Ordinal) => "AppPw_ErrorScopesLength",
            _ when english.StartsWith("Choose how long the app password works", StringComparison.Ordinal) => "AppPw_ErrorExpiry",
            _ when english.StartsWith("Your account is being deleted", StringComparison.Ordinal) => "AppPw_ErrorLeaving",
            _ when english.StartsWith("You already have", StringComparison.Ordinal) => "AppPw_ErrorTooMany",
            _ => null,
        };
        return key is null ? english : t[key, AppPasswords.MaxNameLength, AppPasswords.MaxScopesLength, AppPasswords.MaxActive];
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        // The answer may show a new token: no copy of it stays in any cache.
        Response.Headers.CacheControl = "no-store";
        var user = User.Identity!.Name!;
        StorageRoot = urls.StorageOrigin(Request) + "/storage/" + user;
        KnownModules = (await quotas.UsageAsync(db, user, ct)).Modules
            .Select(m => m.Module).Where(m => m.Length > 0).Order(StringComparer.Ordinal).Take(20).ToList();
    }
}
