using Microsoft.AspNetCore.Identity;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary>What several command groups need: user lookup, Identity results, tables.</summary>
internal static class CliShared
{
    public static async Task<UserAccount> FindUserAsync(UserManager<UserAccount> users, string name) =>
        (UserName.IsValidAccountName(name) ? await users.FindByNameAsync(name) : null)
        ?? throw new CliException($"There is no user '{name}'.");

    public static void ThrowIfFailed(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new CliException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }

    /// <summary>Columns padded to their widest cell and two spaces apart, so both people and
    /// <c>awk</c> can read them; the last column is not padded (no trailing blanks).</summary>
    public static async Task WriteTableAsync(TextWriter stdout, List<string[]> rows)
    {
        var widths = new int[rows[0].Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var cells = row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]));
            await stdout.WriteLineAsync(string.Join("  ", cells));
        }
    }
}
