using System.Text.Json;

namespace UnhostedStore.IntegrationTests.E2E;

/// <summary>
/// Where the end-to-end tests find what they run: the app page (E2E/app), the npm packages that
/// tests/run.sh installs into tests/e2e/node_modules (npm ci), and Debian's Chromium. Anything
/// missing fails the tests with the command that installs it; nothing is ever skipped.
/// </summary>
public static class E2EEnvironment
{
    private static readonly Lazy<string> Root = new(FindRepositoryRoot);

    public static string RepositoryRoot => Root.Value;

    public static string AppDirectory => Path.Combine(RepositoryRoot, "tests", "UnhostedStore.IntegrationTests", "E2E", "app");

    public static string NodeModules => Path.Combine(RepositoryRoot, "tests", "e2e", "node_modules");

    /// <summary>Debian's chromium (apt-get install -y chromium); UNHOSTEDSTORE_TEST_CHROMIUM overrides it.</summary>
    public static string Chromium => Environment.GetEnvironmentVariable("UNHOSTEDSTORE_TEST_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public static void EnsureReady()
    {
        if (!File.Exists(Chromium))
        {
            throw new InvalidOperationException($"Chromium is missing at {Chromium}: install it with: apt-get install -y chromium (tests/run.sh does this when run as root).");
        }

        foreach (var version in RsJs.All)
        {
            if (!File.Exists(version.ReleaseBundle))
            {
                throw new InvalidOperationException($"{version.ReleaseBundle} is missing: run `npm ci --no-audit --no-fund` in tests/e2e (tests/run.sh does it).");
            }

            var installed = InstalledVersion(version);
            if (installed != version.Version)
            {
                throw new InvalidOperationException($"tests/e2e has remotestoragejs {installed} where {version.Version} is pinned: run `npm ci --no-audit --no-fund` in tests/e2e.");
            }
        }
    }

    public static string InstalledVersion(RsJs version)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(NodeModules, version.PackageFolder, "package.json")));
        return json.RootElement.GetProperty("version").GetString()!;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "tests", "e2e", "package.json")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("tests/e2e/package.json not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One pinned remotestorage.js release (see tests/e2e/package.json).</summary>
public sealed record RsJs(string Version, string PackageFolder, string PathSegment)
{
    /// <summary>The stable line apps use today.</summary>
    public static readonly RsJs Stable = new("1.2.3", "remotestoragejs", "rs1");

    /// <summary>The next major version, still in beta (installed under the alias remotestoragejs-2).</summary>
    public static readonly RsJs Beta = new("2.0.0-beta.10", "remotestoragejs-2", "rs2");

    public static readonly RsJs[] All = [Stable, Beta];

    public string ReleaseBundle => Path.Combine(E2EEnvironment.NodeModules, PackageFolder, "release", "remotestorage.js");

    public static RsJs ByVersion(string version) => All.Single(v => v.Version == version);

    public override string ToString() => "remotestorage.js " + Version;
}
