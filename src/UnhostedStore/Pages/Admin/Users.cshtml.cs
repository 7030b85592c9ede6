using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using UnhostedStore.Accounts;

namespace UnhostedStore.Pages.Admin;

/// <summary>All accounts, by name: search, pages of <see cref="PageSize"/>, storage use against
/// the quota, last login, admin flag and state. Each name leads to the account's page.</summary>
public sealed class UsersModel(AccountDirectory directory) : PageModel
{
    public const int PageSize = 25;

    [BindProperty(SupportsGet = true, Name = "q")]
    public string? Search { get; set; }

    public AccountPage Accounts { get; private set; } = new([], 0, 1, PageSize);

    /// <summary><c>page</c> from the query string only: as a bound property it would meet the
    /// route value of the same name that Razor Pages keeps (the page's own path).</summary>
    public async Task OnGetAsync([FromQuery] int? page, CancellationToken ct)
    {
        Search = Search?.Trim();
        if (Search?.Length > AccountDirectory.MaxSearchLength)
        {
            Search = Search[..AccountDirectory.MaxSearchLength];
        }

        Accounts = await directory.ListAsync(Search, page ?? 1, PageSize, ct);
    }

    /// <summary>This list at another page, with the same search.</summary>
    public string Link(int page) =>
        "/admin/users?" + (string.IsNullOrEmpty(Search) ? string.Empty : "q=" + Uri.EscapeDataString(Search) + "&") + "page=" + page.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static string UserPath(string name) => "/admin/users/" + Uri.EscapeDataString(name);

    public static string When(DateTime? utc, string none) => AdminWords.When(utc, none);

    public static string StateClass(AccountState state) => state switch
    {
        AccountState.Disabled => "state disabled",
        AccountState.Leaving => "state leaving",
        _ => "state",
    };
}
