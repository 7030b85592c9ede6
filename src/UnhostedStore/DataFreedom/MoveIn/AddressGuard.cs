using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using UnhostedStore.Origins;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>A move-in that cannot go on: bad input from the person or from the old server.</summary>
public sealed class MoveInRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Which addresses a move-in may connect to. The server fetches from a host the person names,
/// so without this check anyone with an account could read the operator's internal network.
/// It runs in the connection callback of the outbound client, so every connection (also after
/// DNS changes between look-ups) is checked against every address the host resolves to.
/// </summary>
public sealed class AddressGuard(IOptions<HostingOptions> options)
{
    private static readonly (IPAddress Network, int Bits)[] PrivateRanges =
    [
        (IPAddress.Parse("10.0.0.0"), 8), // RFC 1918
        (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.168.0.0"), 16),
        (IPAddress.Parse("100.64.0.0"), 10), // RFC 6598 shared address space
        (IPAddress.Parse("169.254.0.0"), 16), // RFC 3927 link-local (cloud metadata endpoints)
        (IPAddress.Parse("fc00::"), 7), // RFC 4193 unique local
        (IPAddress.Parse("fe80::"), 10), // RFC 4291 link-local
    ];

    private static readonly (IPAddress Network, int Bits)[] NeverRanges =
    [
        (IPAddress.Parse("0.0.0.0"), 8),
        (IPAddress.Parse("224.0.0.0"), 3), // multicast, reserved and broadcast
        (IPAddress.Parse("::"), 128),
        (IPAddress.Parse("ff00::"), 8),
    ];

    /// <summary>Why <paramref name="address"/> may not be used, or null.</summary>
    public string? Refuse(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address))
        {
            return null;
        }

        if (NeverRanges.Any(r => InRange(address, r.Network, r.Bits)))
        {
            return "an address no storage server can have";
        }

        if (!options.Value.AllowPrivateMoveIn && PrivateRanges.Any(r => InRange(address, r.Network, r.Bits)))
        {
            return "a private address, and this server does not move in from private networks (Hosting:AllowPrivateMoveIn)";
        }

        return null;
    }

    /// <summary>Resolves <paramref name="host"/> and checks every address it has.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        IPAddress[] addresses;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal))
        {
            addresses = [literal];
        }
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(host, ct);
            }
            catch (SocketException e)
            {
                throw new MoveInRefusedException($"The host {host} could not be found ({e.SocketErrorCode}).", e);
            }
        }

        if (addresses.Length == 0)
        {
            throw new MoveInRefusedException($"The host {host} has no address.");
        }

        foreach (var address in addresses)
        {
            if (Refuse(address) is { } why)
            {
                throw new MoveInRefusedException(host.Trim('[', ']') == address.ToString() ? $"{address} is {why}." : $"{host} resolves to {address}, {why}.");
            }
        }

        return addresses;
    }

    /// <summary>The outbound client's connection callback: resolve, check, connect.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var addresses = await ResolveAsync(context.DnsEndPoint.Host, ct);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static bool InRange(IPAddress address, IPAddress network, int bits)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }

        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        for (var i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            var mask = bits >= 8 ? 0xFF : (byte)(0xFF << (8 - bits));
            if ((a[i] & mask) != (n[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
