using System.Net;

namespace UnhostedStore.Accounts.Activity;

/// <summary>
/// Who did something the audit log records, and from where: the account's own name, an
/// administrator (<c>admin:&lt;name&gt;</c>), the command line (<c>cli</c>), a background job
/// (<c>system</c>), or nobody logged in (<c>anonymous</c>, a failed login). The address and
/// browser come from the request, when there is one.
/// </summary>
public sealed record AuditActor(string Name, string? Ip, string? UserAgent)
{
    public const string CommandLineName = "cli";

    public const string SystemName = "system";

    public const string AnonymousName = "anonymous";

    public const string AdminPrefix = "admin:";

    /// <summary>An operator's command (<c>unhostedstore users …</c>): no address, no browser.</summary>
    public static AuditActor CommandLine { get; } = new(CommandLineName, null, null);

    /// <summary>The server itself (the erasure job at the end of a grace period).</summary>
    public static AuditActor System { get; } = new(SystemName, null, null);

    /// <summary>The logged-in person acting on their own account.</summary>
    public static AuditActor Person(HttpContext context, string userName) => FromRequest(context, userName);

    /// <summary>Someone who is not logged in (yet): a login attempt.</summary>
    public static AuditActor Anonymous(HttpContext context) => FromRequest(context, AnonymousName);

    /// <summary>An administrator acting on someone's account, or on the server, from a page.</summary>
    public static AuditActor Admin(HttpContext context, string adminName) => FromRequest(context, AdminPrefix + adminName);

    private static AuditActor FromRequest(HttpContext context, string name)
    {
        // The address after UseForwardedHeaders: the client's, behind a trusted proxy.
        var ip = context.Connection.RemoteIpAddress;
        if (ip is { IsIPv4MappedToIPv6: true })
        {
            ip = ip.MapToIPv4();
        }

        var agent = context.Request.Headers.UserAgent.ToString();
        return new AuditActor(name, ip?.ToString(), agent.Length == 0 ? null : agent);
    }

    /// <summary>The administrator's name in an <c>admin:&lt;name&gt;</c> actor, else null.</summary>
    public static string? AdminName(string actor) =>
        actor.StartsWith(AdminPrefix, StringComparison.Ordinal) ? actor[AdminPrefix.Length..] : null;

    /// <summary>Whether <paramref name="text"/> is an address worth showing (not the
    /// <see cref="IPAddress.None"/> of a connection without one).</summary>
    public static bool IsShownAddress(string? text) =>
        IPAddress.TryParse(text, out var ip) && !ip.Equals(IPAddress.None) && !ip.Equals(IPAddress.IPv6None);
}
