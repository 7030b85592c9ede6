using System.Diagnostics;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Cli;

public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>
/// Runs the admin CLI as a real process (<c>dotnet UnhostedStore.dll …</c>, the assembly the test
/// project copies next to itself) against the same database and data directory as a running
/// test server, configured through environment variables only.
/// </summary>
public static class CliRunner
{
    private static readonly string Assembly = Path.Combine(AppContext.BaseDirectory, "UnhostedStore.dll");

    public static async Task<CliResult> RunAsync(ServerFixture server, string? stdin, params string[] args)
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
        start.Environment["DataDirectory"] = server.DataDirectory;
        if (server.PostgresConnectionString is { } postgres)
        {
            start.Environment["ConnectionStrings__Postgres"] = postgres;
        }

        if (server.Backend == Backend.PostgresS3)
        {
            foreach (var (key, value) in TestS3.Settings(server.S3Bucket))
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }
        }

        // The same inline threshold as the server fixture, so both see the same store.
        start.Environment["Storage__InlineMaxBytes"] = "16";

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
}
