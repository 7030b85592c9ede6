using UnhostedStore.Cli;
using UnhostedStore.Hosting;

if (CliApp.IsCommand(args))
{
    return await CliApp.RunAsync(args);
}

var app = AppHost.Build(args);
await app.RunAsync();
return 0;

/// <summary>Entry point; public so integration tests can host the real application.</summary>
public partial class Program;
