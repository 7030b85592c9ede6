using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using UnhostedStore.Hosting;
using UnhostedStore.Persistence;

namespace UnhostedStore.Cli;

/// <summary>The server's composition, started for one command instead of for serving.</summary>
internal static class CliHost
{
    /// <summary>
    /// Builds the services, applies pending migrations unless the operator migrates by hand, and
    /// runs <paramref name="command"/> in one service scope. Called only once the command line
    /// parsed, so a usage error never needs the database.
    /// </summary>
    public static async Task<int> RunInScopeAsync(CliConsole console, Func<IServiceProvider, Task<int>> command, CancellationToken ct)
    {
        await using var app = BuildApp(console);
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            // So that `users add` works on a fresh install before the server ever ran.
            await PersistenceServices.MigrateAsync(app.Services, ct);
        }

        await using var scope = app.Services.CreateAsyncScope();
        return await command(scope.ServiceProvider);
    }

    /// <summary>The server's services and request pipeline (OperatorTokens runs one token
    /// request through it in-process), without Kestrel: nothing listens, no hosted service runs.</summary>
    private static WebApplication BuildApp(CliConsole console)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.AddInMemoryCollection(console.Settings);
        ConfigureLogging(builder);
        AppHost.ConfigureServices(builder);
        var app = builder.Build();
        AppHost.ConfigurePipeline(app);
        return app;
    }

    /// <summary>stdout carries only the command's output (e.g. just the token); logs go to
    /// stderr, warnings and errors only, whatever the Logging section says.</summary>
    public static void ConfigureLogging(WebApplicationBuilder builder)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.PostConfigure<LoggerFilterOptions>(o =>
        {
            o.Rules.Clear();
            o.MinLevel = LogLevel.Warning;

            // A missing wwwroot does not matter to a command.
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.AspNetCore.StaticFiles", LogLevel.Error, null));

            // EF logs its probe of a migrations history table that does not exist yet as an
            // error on a fresh database; that is expected, not news for the operator.
            o.Rules.Add(new LoggerFilterRule(null, "Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None, null));
        });
    }
}
