using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Npgsql;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>Runs a command to its end and returns its exit code and output.</summary>
public static class Shell
{
    public static async Task<(int ExitCode, string Output)> RunAsync(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 120)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', arguments)} did not finish within {timeoutSeconds}s");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task<string> RunCheckedAsync(string fileName, IEnumerable<string> arguments, IDictionary<string, string>? environment = null, int timeoutSeconds = 120)
    {
        var (code, output) = await RunAsync(fileName, arguments, environment, timeoutSeconds);
        return code == 0 ? output : throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {code}:\n{output}");
    }

    /// <summary>Sends a signal (STOP, CONT, KILL) to one process we started.</summary>
    public static Task SignalAsync(int pid, string signal) =>
        RunCheckedAsync("kill", ["-" + signal, pid.ToString(CultureInfo.InvariantCulture)]);

    public static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        var port = ((IPEndPoint)socket.LocalEndpoint).Port;
        socket.Stop();
        return port;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UnhostedStore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("UnhostedStore.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>Polls with a deadline instead of sleeping for a fixed time.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var watch = Stopwatch.StartNew();
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or TaskCanceledException)
            {
                lastError = e;
                last = default!;
            }

            if (watch.Elapsed > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {deadline.TotalSeconds}s (last: {last?.ToString() ?? lastError?.Message})");
            }

            await Task.Delay(100);
        }
    }
}

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

/// <summary>
/// A PostgreSQL server of its own (initdb + pg_ctl into a temp dir, as tests/run.sh does), on a
/// free loopback port, so a test can stop and start it.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";

    private readonly string _work;
    private readonly string[] _asPostgres;

    private PrivatePostgres(string work, int port, string[] asPostgres)
    {
        _work = work;
        Port = port;
        _asPostgres = asPostgres;
    }

    public int Port { get; }

    private string DataDir => Path.Combine(_work, "pg");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=20;Timeout=5";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var work = Path.Combine(Path.GetTempPath(), "us-fault-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        string[] asPostgres = [];
        if (Environment.UserName == "root")
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
            await Shell.RunCheckedAsync("chown", ["postgres", work]);
            asPostgres = ["runuser", "-u", "postgres", "--"];
        }

        var pg = new PrivatePostgres(work, Shell.FreePort(), asPostgres);
        await pg.RunAsync($"{PgBin}/initdb", "-D", pg.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
        await pg.StartServerAsync();
        return pg;
    }

    public Task StartServerAsync() => RunAsync(
        $"{PgBin}/pg_ctl", "-D", DataDir, "-l", Path.Combine(DataDir, "server.log"), "-w", "-t", "60",
        "-o", $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories={_work} -c max_connections=100 -c shared_buffers=32MB -c fsync=off",
        "start");

    public Task StopServerAsync() => RunAsync($"{PgBin}/pg_ctl", "-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "us_" + Guid.NewGuid().ToString("N");
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private async Task RunAsync(string program, params string[] arguments)
    {
        var command = _asPostgres.Length > 0 ? _asPostgres[0] : program;
        var args = _asPostgres.Length > 0 ? [.. _asPostgres[1..], program, .. arguments] : arguments;
        await Shell.RunCheckedAsync(command, args);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync($"{PgBin}/pg_ctl", "-D", DataDir, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// The real server as a separate OS process (<c>dotnet exec UnhostedStore.dll</c> from the test's
/// output folder), configured only through environment variables, so a test can SIGKILL it.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Waits for the process to end by itself (after SIGTERM); false if it did not in time.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServerProcess> StartAsync(IDictionary<string, string> environment)
    {
        var port = Shell.FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "UnhostedStore.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in new[] { "exec", dll, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (key, value) in Infrastructure.ServerFixture.UnlimitedRates)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await Poll.UntilAsync(
                async () => process.HasExited ? throw new InvalidOperationException("the server exited:\n" + server.Output) : (await http.GetAsync("/storage/nobody/x/")).StatusCode,
                status => status == HttpStatusCode.Unauthorized,
                TimeSpan.FromSeconds(60),
                "server process answering");
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown, no cleanup, like a power cut of the process.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillHardAsync();
        }

        _process.Dispose();
    }
}
