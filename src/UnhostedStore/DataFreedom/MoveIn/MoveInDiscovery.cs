using System.Net;
using System.Text.Json;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>Where the old storage is and how to ask for access to it.</summary>
public sealed record OldServer(string Address, Uri StorageRoot, Uri AuthorizeUrl);

/// <summary>
/// WebFinger (RFC 7033 §4) on the old address and its remoteStorage link (draft-26 §10): the
/// href is the storage root, the <c>rfc6749#section-4.2</c> property the OAuth authorize URL.
/// On 127.0.0.1 and localhost plain http is tried after https, as remotestorage.js does.
/// </summary>
public sealed class MoveInDiscovery(IHttpClientFactory clients, AddressGuard guard)
{
    public const string RemoteStorageRel = "http://tools.ietf.org/id/draft-dejong-remotestorage";
    private const string ImplicitGrantProperty = "http://tools.ietf.org/html/rfc6749#section-4.2";
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
                return await FetchAsync(new Uri($"{scheme}://{host}/.well-known/webfinger?resource={Uri.EscapeDataString(resource)}"), user + "@" + host, ct);
            }
            catch (MoveInRefusedException e) when (e.InnerException is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                last = e;
            }
        }

        throw last!;
    }

    private async Task<OldServer> FetchAsync(Uri url, string address, CancellationToken ct)
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

    private static OldServer Read(JsonElement root, Uri url, string address)
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
            var authorize = link.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object
                && p.TryGetProperty(ImplicitGrantProperty, out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
            if (!IsHttpUrl(href, out var storageRoot))
            {
                throw new MoveInRefusedException($"{url.Host} gives no usable storage address for {address}.");
            }

            if (!IsHttpUrl(authorize, out var authorizeUrl))
            {
                throw new MoveInRefusedException($"{url.Host} offers no way to authorize access to {address} (no OAuth address).");
            }

            return new OldServer(address, storageRoot!, authorizeUrl!);
        }

        throw new MoveInRefusedException($"{address} has no remoteStorage on {url.Host}.");
    }

    private static bool IsHttpUrl(string? value, out Uri? url) =>
        Uri.TryCreate(value, UriKind.Absolute, out url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(url.UserInfo);
}
