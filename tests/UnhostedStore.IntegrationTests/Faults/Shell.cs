using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

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
