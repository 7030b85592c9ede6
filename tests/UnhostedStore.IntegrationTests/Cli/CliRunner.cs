using System.Diagnostics;
using UnhostedStore.Cli;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the admin CLI against the same database and data directory as a running test server.
/// </summary>
public static class CliRunner
{
    private static readonly string Assembly = Path.Combine(AppContext.BaseDirectory, "UnhostedStore.dll");

    /// <summary>
    /// In this process, through the same entry as the executable's (<see cref="CliApp.RunAsync(string[], CliConsole)"/>)
    /// with a host of its own, as a separate process would build it: a process costs about 2 s of
    /// CPU to start, most of the CLI tests' time. The executable itself, configured through its
    /// environment, is tested with <see cref="RunProcessAsync"/>.
    /// </summary>
    public static async Task<CliResult> RunAsync(ServerFixture server, string? stdin, params string[] args)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in StoreSettings(server))
        {
            settings[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        // An empty connection string selects SQLite, whatever this process's environment says.
        settings.TryAdd("ConnectionStrings:Postgres", string.Empty);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        // Progress may be reported from another thread.
        var console = new CliConsole(new StringReader(stdin ?? string.Empty), TextWriter.Synchronized(stdout), TextWriter.Synchronized(stderr)) { Settings = settings };
        var exit = await CliApp.RunAsync(args, console).WaitAsync(TimeSpan.FromSeconds(120));
        return new CliResult(exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>As a real process (<c>dotnet UnhostedStore.dll …</c>, the assembly the test project
    /// copies next to itself), configured through environment variables only.</summary>
    public static async Task<CliResult> RunProcessAsync(ServerFixture server, string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(Assembly);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("ConnectionStrings", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Testing";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in StoreSettings(server))
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The CLI did not finish: " + string.Join(' ', args));
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The settings that point a command at <paramref name="server"/>'s store, as
    /// environment variables.</summary>
    private static IEnumerable<(string Key, string Value)> StoreSettings(ServerFixture server)
    {
        yield return ("DataDirectory", server.DataDirectory);
        if (server.PostgresConnectionString is { } postgres)
        {
            yield return ("ConnectionStrings__Postgres", postgres);
        }

        if (server.Backend == Backend.PostgresS3)
        {
            foreach (var (key, value) in TestS3.Settings(server.S3Bucket))
            {
                yield return (key.Replace(":", "__", StringComparison.Ordinal), value);
            }
        }

        // The same inline threshold as the server fixture, so both see the same store.
        yield return ("Storage__InlineMaxBytes", "16");
    }
}
