using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using UnhostedStore.IntegrationTests.E2E;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// armadietto, the reference remoteStorage server (npm, pinned in bench/armadietto), run as a
/// real old server: its classic password-login server on a free 127.0.0.1 port with a temporary
/// storage directory. It is installed with <c>npm ci</c> into bench/.cache/armadietto (ignored by
/// git), the same place bench/run.sh uses, so either one's install serves the other.
/// </summary>
public sealed class Armadietto : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "us-armadietto-" + Guid.NewGuid().ToString("N"));
    private readonly StringBuilder _output = new();
    private Process? _process;

    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Everything armadietto printed, for failure messages.</summary>
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

    public async Task InitializeAsync()
    {
        var root = E2EEnvironment.RepositoryRoot;
        var cache = Path.Combine(root, "bench", ".cache", "armadietto");
        var script = Path.Combine(cache, "node_modules", "armadietto", "bin", "armadietto.js");
        await InstallAsync(Path.Combine(root, "bench", "armadietto"), cache, script);

        var storage = Path.Combine(_work, "data");
        Directory.CreateDirectory(storage);
        Port = FreePort();
        var config = Path.Combine(_work, "conf.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["allow_signup"] = true,
            ["storage_path"] = storage,
            ["cache_views"] = true,
            ["http"] = new Dictionary<string, object> { ["host"] = "127.0.0.1", ["port"] = Port },
            ["logging"] = new Dictionary<string, object> { ["log_dir"] = _work, ["stdout"] = Array.Empty<string>(), ["log_files"] = new[] { "error" } },
            ["basePath"] = string.Empty,
        }));

        _process = Start("node", _work, script, "-c", config);
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"armadietto exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await probe.GetAsync(BaseAddress);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"armadietto did not answer on {BaseAddress} within 60 seconds:\n{Output}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Creates a user through armadietto's own signup form.</summary>
    public async Task SignUpAsync(string user, string password)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress };
        using var response = await client.PostAsync("/signup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = user,
            ["email"] = user + "@example.com",
            ["password"] = password,
        }));
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"armadietto's signup answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}\n{Output}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A log file still being closed; the temp directory is cleaned up by the OS.
        }
    }

    // npm ci is skipped when the cache already holds this exact lock file, as bench/run.sh does.
    private async Task InstallAsync(string pinned, string cache, string script)
    {
        var lockFile = Path.Combine(pinned, "package-lock.json");
        var cachedLock = Path.Combine(cache, "package-lock.json");
        if (File.Exists(script) && File.Exists(cachedLock)
            && await File.ReadAllTextAsync(lockFile) == await File.ReadAllTextAsync(cachedLock))
        {
            return;
        }

        if (Directory.Exists(cache))
        {
            Directory.Delete(cache, recursive: true);
        }

        Directory.CreateDirectory(cache);
        File.Copy(Path.Combine(pinned, "package.json"), Path.Combine(cache, "package.json"));
        File.Copy(lockFile, cachedLock);
        Process npm;
        try
        {
            npm = Start("npm", cache, "ci", "--no-audit", "--no-fund", "--loglevel=error");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("npm is missing; install it with: apt-get install -y nodejs npm", e);
        }

        using (npm)
        {
            await npm.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (npm.ExitCode != 0 || !File.Exists(script))
            {
                throw new InvalidOperationException($"npm ci of armadietto failed ({npm.ExitCode}); run: (cd {cache} && npm ci)\n{Output}");
            }
        }
    }

    private Process Start(string file, string directory, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
