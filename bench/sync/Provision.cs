using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using UnhostedStore.Accounts;
using UnhostedStore.Authorization;
using UnhostedStore.Hosting;
using UnhostedStore.Persistence;

namespace SyncSim;

/// <summary>
/// <c>provision --users M --prefix sim --out tokens.tsv [--parallel P]</c>: what
/// <c>users add NAME --no-password</c> and <c>tokens issue NAME --scope "*:rw"</c> do, for M users
/// in one process (a process per user would take an hour for 10,000). The server's own services,
/// configured the same way (environment, appsettings.json in the working directory), as the CLI
/// builds them. Users that exist are kept; every run issues each user a fresh token.
/// </summary>
internal static class Provision
{
    public static async Task<int> RunAsync(string[] args)
    {
        var users = 0;
        var prefix = "sim";
        var output = "tokens.tsv";
        var parallel = 1;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--users": users = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--prefix": prefix = args[++i]; break;
                case "--out": output = args[++i]; break;
                case "--parallel": parallel = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.StaticFiles", LogLevel.Error);
        AppHost.ConfigureServices(builder);
        await using var app = builder.Build();
        AppHost.ConfigurePipeline(app);
        if (app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateOnStart)
        {
            await PersistenceServices.MigrateAsync(app.Services, CancellationToken.None);
        }

        if (!ScopeSet.TryParse("*:rw", out var scopes) || !ClientOrigin.TryParse("https://sync-sim.invalid", out var origin, out var error))
        {
            throw new InvalidOperationException("scope or origin rejected");
        }

        var lines = new string[users];
        var done = 0;
        var started = Clock.NowMs;
        // The first user alone: it registers the origin's client application, which concurrent
        // first requests would race to create.
        await Parallel.ForEachAsync(Enumerable.Range(0, Math.Min(1, users)), CancellationToken.None, OneAsync);
        await Parallel.ForEachAsync(Enumerable.Range(1, Math.Max(0, users - 1)), new ParallelOptions { MaxDegreeOfParallelism = parallel }, OneAsync);

        async ValueTask OneAsync(int i, CancellationToken ct)
        {
            var name = prefix + i.ToString("D6", CultureInfo.InvariantCulture);
            await using var scope = app.Services.CreateAsyncScope();
            var manager = scope.ServiceProvider.GetRequiredService<UserManager<UserAccount>>();
            if (await manager.FindByNameAsync(name) is null)
            {
                var created = await AccountCommands.CreateAsync(manager, TimeProvider.System, name, null, false);
                if (!created.Succeeded)
                {
                    throw new InvalidOperationException($"{name}: " + string.Join("; ", created.Errors.Select(e => e.Description)));
                }
            }

            var issued = await scope.ServiceProvider.GetRequiredService<OperatorTokens>().IssueAsync(name, scopes, origin!, 0, ct);
            lines[i] = name + "\t" + issued.AccessToken;
            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                Simulation.Log($"provisioned {done} of {users} users");
            }
        }

        await File.WriteAllLinesAsync(output, lines);
        Simulation.Log(string.Create(CultureInfo.InvariantCulture, $"provisioned {users} users with tokens in {(Clock.NowMs - started) / 1000.0:F1} s -> {output}"));
        return 0;
    }
}
