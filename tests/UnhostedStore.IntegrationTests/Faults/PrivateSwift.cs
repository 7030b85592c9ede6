using System.Globalization;
using System.Net;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>
/// A throw-away OpenStack Swift with s3api of its own (tests/services/start-swift.sh with its own
/// DIR), so a test can freeze or kill it without touching the S3 server the rest of the suite uses.
/// </summary>
public sealed class PrivateSwift : IAsyncDisposable
{
    private readonly string _dir;
    private readonly Dictionary<string, string> _values;

    private PrivateSwift(string dir, Dictionary<string, string> values)
    {
        _dir = dir;
        _values = values;
        ProxyPid = int.Parse(values["S3_PIDS"].Trim('"').Split(' ')[^1], CultureInfo.InvariantCulture);
    }

    public string Endpoint => _values["S3_ENDPOINT"];

    public string AccessKey => _values["S3_ACCESS_KEY"];

    public string SecretKey => _values["S3_SECRET_KEY"];

    /// <summary>The S3/Swift proxy (the last of S3_PIDS); the other servers sit behind it.</summary>
    public int ProxyPid { get; private set; }

    public static async Task<PrivateSwift> StartAsync()
    {
        var dir = Path.Combine(Path.GetTempPath(), "us-fault-swift-" + Guid.NewGuid().ToString("N")[..12]);
        var script = Path.Combine(Shell.RepositoryRoot(), "tests", "services", "start-swift.sh");
        var (code, output) = await Shell.RunAsync("bash", [script], new Dictionary<string, string> { ["DIR"] = dir }, 120);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in output.Split('\n'))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && line[..eq].All(c => char.IsAsciiLetterUpper(c) || c == '_' || char.IsAsciiDigit(c)))
            {
                values[line[..eq]] = line[(eq + 1)..].Trim();
            }
        }

        if (code != 0 || !values.ContainsKey("S3_ENDPOINT"))
        {
            throw new InvalidOperationException("The private Swift did not start:\n" + output);
        }

        return new PrivateSwift(dir, values);
    }

    /// <summary>SIGSTOP: connections are still accepted by the kernel but never answered.</summary>
    public Task FreezeAsync() => Shell.SignalAsync(ProxyPid, "STOP");

    public Task ThawAsync() => Shell.SignalAsync(ProxyPid, "CONT");

    /// <summary>SIGKILL: the port refuses connections until <see cref="RestartProxyAsync"/>.</summary>
    public async Task KillProxyAsync()
    {
        await Shell.SignalAsync(ProxyPid, "KILL");
        await Poll.UntilAsync(() => Task.FromResult(IsAlive(ProxyPid)), alive => !alive, TimeSpan.FromSeconds(10), "proxy gone");
    }

    /// <summary>Starts the proxy again on the same port and waits for its health check.</summary>
    public async Task RestartProxyAsync()
    {
        var etc = Path.Combine(_dir, "etc");
        var log = Path.Combine(_dir, "log", "proxy-restarted.log");

        // Same command line as start-swift.sh, in the background; its pid joins the pid file
        // so that `start-swift.sh stop` stops it too.
        var pid = await Shell.RunCheckedAsync("bash", ["-c",
            $"nohup /usr/bin/python3 '{etc}/launch.py' '{etc}' '{etc}/proxy-server.conf' proxy-server >'{log}' 2>&1 </dev/null & echo $! >>'{_dir}/swift.pids'; echo $!"]);
        ProxyPid = int.Parse(pid.Trim(), CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await Poll.UntilAsync(
            async () => (await http.GetAsync(new Uri($"http://{Endpoint}/healthcheck"))).StatusCode,
            status => status == HttpStatusCode.OK,
            TimeSpan.FromSeconds(30),
            "restarted Swift proxy healthy");
    }

    private static bool IsAlive(int pid)
    {
        // A killed child stays a zombie until reaped; /proc tells the state.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }

        try
        {
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Shell.RunAsync("kill", ["-CONT", ProxyPid.ToString(CultureInfo.InvariantCulture)]);
        var script = Path.Combine(Shell.RepositoryRoot(), "tests", "services", "start-swift.sh");
        await Shell.RunAsync("bash", [script, "stop"], new Dictionary<string, string> { ["DIR"] = _dir }, 60);
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
