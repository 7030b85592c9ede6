using System.Globalization;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Authorization;
using UnhostedStore.Origins;
using UnhostedStore.Pages.OAuth;
using UnhostedStore.Pages.Text;
using UnhostedStore.Persistence;

namespace UnhostedStore.Pages.Account;

/// <summary>
/// The user's own page: storage address, apps that open with it (draft-26 §11), connected apps
/// and app passwords (grants) with revocation, storage usage against the quota and per module,
/// and for admins the way to the admin pages and the invite button.
/// </summary>
[Authorize]
public sealed class IndexModel(
    UserManager<UserAccount> users,
    Grants grants,
    GrantUsageTracker usage,
    StorageDbContext db,
    Invites invites,
    PublicUrls urls,
    IOptions<AccountOptions> accounts,
    SignupSettings signup,
    Quotas quotas,
    AuditTrail audit,
    IStringLocalizer<AccountText> t,
    IStringLocalizer<ConsentText> consent) : PageModel
{
    public sealed record AppRow(string Id, string Origin, IReadOnlyList<string> ScopeLines, DateTime? GrantedUtc, DateTime? LastUsedUtc, DateTime? ExpiresUtc, string? AppPasswordName = null)
    {
        public bool IsAppPassword => AppPasswordName is not null;

        /// <summary>How the page names it: the app's origin, or the app password's name.</summary>
        public string Title => AppPasswordName ?? Origin;
    }

    public sealed record ModuleRow(string Module, long UsedBytes, long DocumentCount)
    {
        public string Label => Module.Length == 0 ? Words.Of<AccountText>()["Home_TopLevel"] : Module;
    }

    public string UserName { get; private set; } = string.Empty;

    public string Address { get; private set; } = string.Empty;

    public IReadOnlyList<AppRow> Apps { get; private set; } = [];

    public long UsedBytes { get; private set; }

    public long DocumentCount { get; private set; }

    public long QuotaBytes { get; private set; }

    /// <summary>Bytes of replaced and deleted versions kept for restoring (they count toward the quota).</summary>
    public long HistoryBytes { get; private set; }

    public IReadOnlyList<ModuleRow> Modules { get; private set; } = [];

    /// <summary>Apps to open already pointed at this storage (<c>Accounts:Apps</c>).</summary>
    public IReadOnlyList<StorageFirstLink> KnownApps { get; private set; } = [];

    public bool IsAdmin { get; private set; }

    /// <summary>The sign-up policy in force, for admins (the invite button needs invitations).</summary>
    public SignupPolicy Signup { get; private set; }

    public string? InviteLink { get; private set; }

    [TempData]
    public string? Message { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await ShowAsync(ct);

    public async Task<IActionResult> OnPostRevokeAsync([FromForm] string? id, CancellationToken ct)
    {
        var user = CurrentUser();
        var grant = string.IsNullOrEmpty(id) ? null : (await grants.ListAsync(user, ct)).FirstOrDefault(g => g.AuthorizationId == id);
        if (!string.IsNullOrEmpty(id) && await grants.RevokeByIdAsync(user, id, ct))
        {
            var (kind, what) = grant?.AppPasswordName is { } name ? (AuditKind.AppPasswordRevoked, $"App password \"{name}\"") : (AuditKind.GrantRevoked, grant?.Origin ?? "An app");
            await audit.RecordAsync(kind, user, AuditActor.Person(HttpContext, user), $"{what} on the account page.");
            Message = t["Home_Revoked"];
        }
        else
        {
            Message = t["Home_NoAccessAnyMore"];
        }

        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostRevokeAllAsync(CancellationToken ct)
    {
        var count = await grants.RevokeAsync(CurrentUser(), origin: null, ct);
        if (count > 0)
        {
            await audit.RecordAsync(AuditKind.GrantRevoked, CurrentUser(), AuditActor.Person(HttpContext, CurrentUser()), $"All apps ({count} grant{(count == 1 ? string.Empty : "s")}) on the account page.");
        }

        Message = count == 1 ? t["Home_RevokedOne"] : t["Home_RevokedAll", Words.Number(count)];
        return RedirectToPage();
    }

    public async Task<IActionResult> OnPostInviteAsync(CancellationToken ct)
    {
        var account = await users.GetUserAsync(User);
        if (account is null || !account.IsAdmin)
        {
            return Forbid();
        }

        var token = await invites.CreateAsync(account.UserName!, ct);
        await audit.RecordAsync(AuditKind.AdminInviteCreated, (string?)null, AuditActor.Admin(HttpContext, account.UserName!), "A one-time sign-up link, valid 7 days, made on the account page.");
        InviteLink = urls.AccountOrigin(Request) + Invites.LinkPath(token);
        return await ShowAsync(ct);
    }

    private string CurrentUser() => User.Identity?.Name ?? throw new InvalidOperationException("not logged in");

    private async Task<IActionResult> ShowAsync(CancellationToken ct)
    {
        var account = await users.GetUserAsync(User);
        if (account is null)
        {
            // The cookie outlived its account.
            return Challenge();
        }

        UserName = account.UserName!;
        IsAdmin = account.IsAdmin;
        if (IsAdmin)
        {
            Signup = await signup.GetAsync(ct);
        }

        Address = UserName + "@" + new Uri(urls.AccountOrigin(Request)).Authority;

        var list = await grants.ListAsync(UserName, ct);
        var lastUsed = await usage.LastUsedAsync(db, list.Select(g => g.AuthorizationId).ToList(), ct);
        Apps = list.Select(g => new AppRow(
                g.AuthorizationId,
                g.Origin,
                g.Scopes.Scopes.Select(s => AuthorizeModel.Describe(s, consent)).ToList(),
                g.GrantedUtc,
                lastUsed.TryGetValue(g.AuthorizationId, out var usedUtc) ? usedUtc : null,
                g.ExpiresUtc,
                g.AppPasswordName))
            .ToList();
        KnownApps = StorageFirstLinks.For(accounts.Value.ListedApps, Address);

        var summary = await quotas.UsageAsync(db, UserName, ct);
        UsedBytes = summary.UsedBytes;
        HistoryBytes = summary.HistoryBytes;
        DocumentCount = summary.DocumentCount;
        QuotaBytes = summary.QuotaBytes;
        Modules = summary.Modules.Select(m => new ModuleRow(m.Module, m.UsedBytes, m.DocumentCount)).ToList();
        return Page();
    }

    /// <summary>A time as the pages show it, in the page's language (<see cref="Words.When"/>).</summary>
    public static string When(DateTime? utc, string none) => Words.When(utc, none);

    public static string Iso(DateTime utc) => utc.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>Bytes in words a person reads at a glance (1 KB = 1024 bytes), in English whatever
    /// the page's language: for the audit log's details, which are stored as written. Pages show
    /// sizes with <see cref="Words.Size"/>.</summary>
    public static string Size(long bytes) =>
        Words.Scaled(bytes, CultureInfo.InvariantCulture) ?? bytes.ToString("N0", CultureInfo.InvariantCulture) + (bytes == 1 ? " byte" : " bytes");

    /// <summary>A count in English, for the audit log's details (see <see cref="Size"/>).</summary>
    public static string Count(long n, string one, string many) =>
        n.ToString("N0", CultureInfo.InvariantCulture) + " " + (n == 1 ? one : many);
}
