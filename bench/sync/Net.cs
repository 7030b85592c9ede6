using System.Net;
using System.Net.Sockets;

namespace SyncSim;

/// <summary>
/// Client sockets bound to loopback source addresses 127.0.0.2, .3, … in turn: each (source,
/// destination) pair has its own ~28,000 ephemeral ports, so 100,000 connections never run out.
/// The whole 127/8 is on the loopback interface on Linux; nothing needs configuring.
/// </summary>
internal sealed class Net(SimOptions options)
{
    /// <summary>Linux IP_BIND_ADDRESS_NO_PORT: the port is chosen at connect, per 4-tuple, instead
    /// of at bind, per address (which would cap each source address at the port range once).</summary>
    private const int IpBindAddressNoPort = 24;

    private int _next;

    public async Task<Socket> ConnectAsync(EndPoint server, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(0 /* IPPROTO_IP */, IpBindAddressNoPort, BitConverter.GetBytes(1));
            }

            socket.Bind(new IPEndPoint(options.SourceAddress(Interlocked.Increment(ref _next)), 0));
            await socket.ConnectAsync(server, ct);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One pooled client per server instance for the plain requests (polls, GETs, PUTs):
    /// keep-alive connections, as many as the load needs at once, spread over the source addresses.</summary>
    public HttpClient CreateClient(Uri server)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 4096,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            ConnectCallback = async (context, ct) =>
            {
                var host = context.DnsEndPoint;
                var socket = await ConnectAsync(IPAddress.TryParse(host.Host, out var ip) ? new IPEndPoint(ip, host.Port) : host, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpClient(handler)
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds),
            DefaultRequestVersion = HttpVersion.Version11,
        };
    }

    /// <summary>A short name for why a request failed without an HTTP status.</summary>
    public static string Describe(Exception e) => e switch
    {
        TaskCanceledException or OperationCanceledException => "timeout",
        HttpRequestException { InnerException: SocketException s } => SocketName(s),
        HttpRequestException { InnerException: IOException { InnerException: SocketException s } } => SocketName(s),
        HttpRequestException { HttpRequestError: var kind } when kind != HttpRequestError.Unknown => Kebab(kind.ToString()),
        SocketException s => SocketName(s),
        IOException { InnerException: SocketException s } => SocketName(s),
        IOException => "connection-closed",
        HttpRequestException { InnerException: IOException } => "connection-closed",
        HttpRequestException { InnerException: { } inner } => "http-" + Kebab(inner.GetType().Name.Replace("Exception", string.Empty, StringComparison.Ordinal)),
        _ => Kebab(e.GetType().Name.Replace("Exception", string.Empty, StringComparison.Ordinal)),
    };

    private static string SocketName(SocketException s) => Kebab(s.SocketErrorCode.ToString());

    private static string Kebab(string name)
    {
        var chars = new List<char>(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                chars.Add('-');
            }

            chars.Add(char.ToLowerInvariant(name[i]));
        }

        return new string([.. chars]);
    }
}
