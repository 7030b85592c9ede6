using System.Net;
using System.Text.Json;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>
/// Where the old storage is and how to ask for access to it: with a <see cref="TokenEndpoint"/>
/// the authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636 S256) at
/// <see cref="AuthorizeUrl"/>, without one the implicit grant (RFC 6749 §4.2) there.
/// </summary>
public sealed record OldServer(string Address, Uri StorageRoot, Uri AuthorizeUrl, Uri? TokenEndpoint = null);

/// <summary>
/// WebFinger (RFC 7033 §4) on the old address and its remoteStorage link (draft-26 §10): the
/// href is the storage root, the <c>rfc6749#section-4.2</c> property the OAuth authorize URL.
/// draft-26 §10.1: a server offering the code grant announces its authorization endpoint
/// (<c>rfc6749#section-3.1</c>), token endpoint (<c>#section-3.2</c>) and PKCE methods
/// (<c>rfc7636</c>); clients SHOULD prefer it, so it is used whenever the token endpoint is
/// usable. On 127.0.0.1 and localhost plain http is tried after https, as remotestorage.js does.
/// </summary>
public sealed class MoveInDiscovery(IHttpClientFactory clients, AddressGuard guard)
{
    public const string RemoteStorageRel = "http://tools.ietf.org/id/draft-dejong-remotestorage";
    private const string ImplicitGrantProperty = "http://tools.ietf.org/html/rfc6749#section-4.2";
    private const string AuthorizationEndpointProperty = "http://tools.ietf.org/html/rfc6749#section-3.1";
    private const string TokenEndpointProperty = "http://tools.ietf.org/html/rfc6749#section-3.2";
    private const string PkceMethodsProperty = "http://tools.ietf.org/html/rfc7636";
    private const int MaxWebFingerBytes = 64 * 1024;

    /// <summary>Parses <c>user@host</c> (host may carry a port); null when it is not one.</summary>
    public static (string User, string Host)? ParseAddress(string? address)
    {
        address = address?.Trim();
        if (string.IsNullOrEmpty(address) || address.Length > 320)
        {
            return null;
        }

        if (address.StartsWith("acct:", StringComparison.OrdinalIgnoreCase))
        {
            address = address[5..];
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1)
        {
            return null;
        }

        var (user, host) = (address[..at], address[(at + 1)..]);
        if (user.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '?' or '#')
            || Uri.CheckHostName(host.Split(':')[0].Trim('[', ']')) == UriHostNameType.Unknown
            || !Uri.TryCreate("https://" + host + "/", UriKind.Absolute, out var probe)
            || probe.AbsolutePath != "/" || !string.IsNullOrEmpty(probe.UserInfo))
        {
            return null;
        }

        return (user, host);
    }

    public static bool IsLoopbackHost(string host)
    {
        var name = Uri.TryCreate("http://" + host + "/", UriKind.Absolute, out var u) ? u.IdnHost : host;
        return name is "localhost" or "127.0.0.1" or "::1" or "[::1]";
    }

    public async Task<OldServer> DiscoverAsync(string address, CancellationToken ct)
    {
        if (ParseAddress(address) is not var (user, host))
        {
            throw new MoveInRefusedException("Type your old address as user@host, for example alice@5apps.com.");
        }

        // Checked here for a clear message; the client checks every connection again.
        await guard.ResolveAsync(new Uri("https://" + host + "/").Host, ct);
        var resource = "acct:" + user + "@" + host;
        var schemes = IsLoopbackHost(host) ? new[] { "https", "http" } : ["https"];
        MoveInRefusedException? last = null;
        foreach (var scheme in schemes)
        {
            try
            {
                return await ChooseGrantAsync(await FetchAsync(new Uri($"{scheme}://{host}/.well-known/webfinger?resource={Uri.EscapeDataString(resource)}"), user + "@" + host, ct), ct);
            }
            catch (MoveInRefusedException e) when (e.InnerException is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e;
            }
        }

        throw last!;
    }

    /// <summary>The code grant when its token endpoint passes the address check, else the
    /// implicit grant; a token endpoint we may not call is as good as none.</summary>
    private async Task<OldServer> ChooseGrantAsync(Offer offer, CancellationToken ct)
    {
        if (offer.TokenEndpoint is { } endpoint && (offer.CodeAuthorizeUrl ?? offer.ImplicitAuthorizeUrl) is { } codeAuthorize)
        {
            try
            {
                await guard.ResolveAsync(endpoint.IdnHost, ct);
                return new OldServer(offer.Address, offer.StorageRoot, codeAuthorize, endpoint);
            }
            catch (MoveInRefusedException)
            {
                // Refused or unresolvable: fall back to the implicit grant below.
            }
        }

        return offer.ImplicitAuthorizeUrl is { } implicitAuthorize
            ? new OldServer(offer.Address, offer.StorageRoot, implicitAuthorize)
            : throw new MoveInRefusedException($"{offer.Host} offers no way to authorize access to {offer.Address} (no OAuth address).");
    }

    private async Task<Offer> FetchAsync(Uri url, string address, CancellationToken ct)
    {
        var client = clients.CreateClient(MoveInServices.ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        JsonDocument json;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("application/jrd+json, application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new MoveInRefusedException($"{url.Host} does not know {address} (WebFinger answered {(int)response.StatusCode}).");
            }

            var bytes = await Limits.ReadCappedAsync(response.Content, MaxWebFingerBytes, timeout.Token)
                ?? throw new MoveInRefusedException($"The WebFinger answer of {url.Host} is larger than {MaxWebFingerBytes} bytes.");
            json = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new MoveInRefusedException($"The WebFinger answer of {url.Host} is not JSON.", e);
        }
        catch (HttpRequestException e)
        {
            throw new MoveInRefusedException($"{url.Host} could not be reached: {Limits.Describe(e)}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new MoveInRefusedException($"{url.Host} did not answer within 15 seconds.", e);
        }

        using (json)
        {
            return Read(json.RootElement, url, address);
        }
    }

    /// <summary>What the remoteStorage link offers, each URL already checked for its scheme.</summary>
    private sealed record Offer(string Address, string Host, Uri StorageRoot, Uri? ImplicitAuthorizeUrl, Uri? CodeAuthorizeUrl, Uri? TokenEndpoint);

    private static Offer Read(JsonElement root, Uri url, string address)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("links", out var links) || links.ValueKind != JsonValueKind.Array)
        {
            throw new MoveInRefusedException($"The WebFinger answer of {url.Host} has no list of links.");
        }

        foreach (var link in links.EnumerateArray())
        {
            if (link.ValueKind != JsonValueKind.Object || !link.TryGetProperty("rel", out var rel) || rel.ValueKind != JsonValueKind.String
                || !rel.GetString()!.StartsWith(RemoteStorageRel, StringComparison.Ordinal))
            {
                continue;
            }

            var href = link.TryGetProperty("href", out var h) && h.ValueKind == JsonValueKind.String ? h.GetString() : null;
            if (!IsHttpUrl(href, out var storageRoot))
            {
                throw new MoveInRefusedException($"{url.Host} gives no usable storage address for {address}.");
            }

            var properties = link.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
            var implicitAuthorize = HttpUrlProperty(properties, ImplicitGrantProperty);
            var tokenEndpoint = OffersS256(properties) ? HttpUrlProperty(properties, TokenEndpointProperty) : null;
            return new Offer(address, url.Host, storageRoot!, implicitAuthorize, HttpUrlProperty(properties, AuthorizationEndpointProperty), tokenEndpoint);
        }

        throw new MoveInRefusedException($"{address} has no remoteStorage on {url.Host}.");
    }

    private static Uri? HttpUrlProperty(JsonElement properties, string name) =>
        properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
        && IsHttpUrl(value.GetString(), out var url) ? url : null;

    /// <summary>draft-26 §10.1: servers with the code grant MUST support S256. The methods
    /// property may be missing (then S256 is assumed, as the MUST says); when it is there it
    /// has to name S256, since "plain" alone is useless to us.</summary>
    private static bool OffersS256(JsonElement properties)
    {
        if (properties.ValueKind != JsonValueKind.Object || !properties.TryGetProperty(PkceMethodsProperty, out var methods))
        {
            return true;
        }

        return methods.ValueKind == JsonValueKind.String
            && methods.GetString()!.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains("S256", StringComparer.Ordinal);
    }

    private static bool IsHttpUrl(string? value, out Uri? url) =>
        Uri.TryCreate(value, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(url.UserInfo);
}
