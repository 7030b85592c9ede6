using UnhostedStore.Persistence;

namespace UnhostedStore.Hosting;

/// <summary>
/// Admin commands on the same executable, reading the same configuration as the server:
/// <c>UnhostedStore migrate</c>. Anything else starts the server.
/// </summary>
public static class Cli
{
    public static bool IsCommand(string[] args) => args.Length > 0 && args[0] is "migrate";

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args[0])
        {
            case "migrate":
                {
                    var builder = WebApplication.CreateBuilder(args[1..]);
                    AppHost.ConfigureServices(builder);
                    await using var app = builder.Build();
                    await PersistenceServices.MigrateAsync(app.Services, CancellationToken.None);
                    await Console.Out.WriteLineAsync("Migrations applied.");
                    return 0;
                }

            default:
                await Console.Error.WriteLineAsync($"Unknown command '{args[0]}'.");
                return 2;
        }
    }
}
