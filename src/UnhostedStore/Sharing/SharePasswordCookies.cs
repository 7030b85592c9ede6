using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using UnhostedStore.Persistence;

namespace UnhostedStore.Sharing;

/// <summary>
/// What the right password of a link gives a browser: a cookie for that link only (its
/// <c>Path</c> is the link's <c>/s/&lt;token&gt;</c>), HttpOnly, Secure over https, SameSite=Lax,
/// whose value is data-protected (encrypted and signed with the keys every instance shares) and
/// names the link and its password hash, so it opens nothing else and ends when it expires.
/// The link row is still read on every request: a revoked link stays closed whatever the cookie says.
/// </summary>
public sealed class SharePasswordCookies(IDataProtectionProvider protection)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    private readonly ITimeLimitedDataProtector _protector =
        protection.CreateProtector("UnhostedStore.Sharing.Password").ToTimeLimitedDataProtector();

    public static string Name(ShareLink link) => "us_share_" + link.Id;

    public void Issue(HttpContext context, ShareLink link, string token)
    {
        var value = _protector.Protect(Proof(link), Lifetime);
        context.Response.Cookies.Append(Name(link), value, new CookieOptions
        {
            Path = SharePaths.Prefix + token,
            HttpOnly = true,
            Secure = context.Request.IsHttps,
            SameSite = SameSiteMode.Lax,
            MaxAge = Lifetime,
            IsEssential = true,
        });
    }

    public bool Holds(HttpContext context, ShareLink link)
    {
        if (!context.Request.Cookies.TryGetValue(Name(link), out var value) || string.IsNullOrEmpty(value))
        {
            return false;
        }

        try
        {
            var proof = Encoding.UTF8.GetBytes(_protector.Unprotect(value));
            return CryptographicOperations.FixedTimeEquals(proof, Encoding.UTF8.GetBytes(Proof(link)));
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The link and a digest of its password hash: a new password (or none) ends old cookies.</summary>
    private static string Proof(ShareLink link) =>
        link.Id + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(link.PasswordHash ?? string.Empty)));
}
