using System.Runtime.CompilerServices;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Every test server would otherwise watch its appsettings files with one inotify instance each;
/// the suite starts hundreds of servers and Linux allows 128 instances per user by default.
/// Set before any host is built, and inherited by the server processes the suite starts.
/// </summary>
internal static class NoConfigWatchers
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "Must run before any test builds a host.")]
    internal static void Disable() =>
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
}
