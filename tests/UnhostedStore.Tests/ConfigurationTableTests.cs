using System.Reflection;
using UnhostedStore.AbuseLimits;
using UnhostedStore.Accounts;
using UnhostedStore.Blobs;
using UnhostedStore.DataFreedom;
using UnhostedStore.Origins;
using UnhostedStore.Persistence;
using UnhostedStore.Storage;
using UnhostedStore.Telemetry;

namespace UnhostedStore.Tests;

/// <summary>README's configuration table and the settings the code binds match, both ways.</summary>
public class ConfigurationTableTests
{
    /// <summary>Settings read outside the options classes (or bound from other keys).</summary>
    private static readonly string[] Extra = ["ConnectionStrings:Postgres", "DataDirectory", "OAuth:RequireHttps", "Database:MigrateOnStart", "Database:ReadRoundTrips"];

    [Fact]
    public void Every_setting_in_the_README_table_exists_in_the_code()
    {
        var code = CodeSettings();
        var missing = DocumentedSettings().Where(s => !code.Contains(s)).ToArray();
        Assert.True(missing.Length == 0, "README documents settings the code does not have: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_setting_in_the_code_is_in_the_README_table()
    {
        var documented = DocumentedSettings().ToHashSet(StringComparer.Ordinal);
        var missing = CodeSettings().Where(s => !documented.Contains(s)).Order(StringComparer.Ordinal).ToArray();
        Assert.True(missing.Length == 0, "settings missing from README's configuration table: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_table_is_found_and_lists_the_settings_of_every_section()
    {
        var documented = DocumentedSettings();
        foreach (var prefix in new[] { "Storage:", "Blobs:S3:", "RateLimiting:", "Hosting:", "Accounts:", "Metrics:", "Logging:" })
        {
            Assert.Contains(documented, s => s.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    private static HashSet<string> CodeSettings()
    {
        var settings = new HashSet<string>(Extra, StringComparer.Ordinal);
        foreach (var (type, section) in new (Type, string)[]
        {
            (typeof(StorageOptions), StorageOptions.Section),
            (typeof(UnhostedStore.Storage.Changes.ChangeOptions), StorageOptions.Section),
            (typeof(QuotaOptions), QuotaOptions.Section),
            (typeof(RateLimitOptions), RateLimitOptions.Section),
            (typeof(HostingOptions), HostingOptions.Section),
            (typeof(AccountOptions), AccountOptions.Section),
            (typeof(BlobOptions), BlobOptions.Section),
            (typeof(UnhostedStore.DataFreedom.DataFreedomOptions), UnhostedStore.DataFreedom.DataFreedomOptions.Section),
            (typeof(LoggingOptions), LoggingOptions.Section),
            (typeof(MetricsOptions), MetricsOptions.Section),
            (typeof(ImportOptions), ImportOptions.Section),
            (typeof(UnhostedStore.Previews.PreviewOptions), UnhostedStore.Previews.PreviewOptions.Section),
            (typeof(UnhostedStore.Accounts.KeyRing.KeyProtectionOptions), UnhostedStore.Accounts.KeyRing.KeyProtectionOptions.Section),
        })
        {
            AddProperties(settings, type, section);
        }

        // DatabaseOptions binds only its own section; its other properties come from Extra's keys.
        Assert.Equal(
            ["DataDirectory", "MigrateOnStart", "PostgresConnectionString", "ReadRoundTrips"],
            SettableProperties(typeof(DatabaseOptions)).Select(p => p.Name).Order(StringComparer.Ordinal));
        return settings;
    }

    private static void AddProperties(HashSet<string> settings, Type type, string prefix)
    {
        foreach (var property in SettableProperties(type))
        {
            var key = prefix + ":" + property.Name;
            var t = property.PropertyType;
            if (t.IsClass && t != typeof(string) && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t))
            {
                AddProperties(settings, t, key);
            }
            else
            {
                settings.Add(key);
            }
        }
    }

    private static IEnumerable<PropertyInfo> SettableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod is { IsPublic: true });

    /// <summary>The setting names in the first cell of README's configuration table rows.</summary>
    private static List<string> DocumentedSettings()
    {
        var readme = File.ReadAllLines(Path.Combine(RepositoryRoot(), "README.md"));
        var start = Array.FindIndex(readme, l => l.StartsWith("| Setting |", StringComparison.Ordinal));
        Assert.True(start >= 0, "README.md has no '| Setting |' table");
        var names = new List<string>();
        foreach (var line in readme.Skip(start + 2).TakeWhile(l => l.StartsWith('|')))
        {
            Assert.StartsWith("| `", line, StringComparison.Ordinal);
            var cell = line.Split('|')[1];
            foreach (var name in cell.Split('`').Where((_, i) => i % 2 == 1))
            {
                if (name.StartsWith("Kestrel:Endpoints", StringComparison.Ordinal) || name.StartsWith("--", StringComparison.Ordinal) || name.StartsWith(':'))
                {
                    continue;
                }

                names.Add(name);
            }
        }

        return names;
    }

    private static string RepositoryRoot()
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
