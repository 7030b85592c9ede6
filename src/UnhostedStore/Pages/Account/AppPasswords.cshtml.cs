using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Accounts.Security;
using UnhostedStore.Authorization;
using UnhostedStore.Origins;
using UnhostedStore.Pages.OAuth;
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
public sealed class AppPasswordsModel(AppPasswords appPasswords, StorageDbContext db, PublicUrls urls, Accounts.Quotas quotas, AuditTrail audit) : PageModel
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
            CreatedScopeLines = Created!.Scopes.Scopes.Select(AuthorizeModel.Describe).ToList();
            Name = string.Empty;
            Scopes = string.Empty;
            ExpiresDays = 90;
        }
        else
        {
            // The first message of each field is the one to act on.
            Errors = outcome.Errors.GroupBy(e => e.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
            Response.StatusCode = StatusCodes.Status400BadRequest;
        }

        await LoadAsync(ct);
        return Page();
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
