using NetArchTest.Rules;

namespace UnhostedStore.Tests;

/// <summary>
/// The rooms of the product and the arrows between them. Every arrow points inward: a room may
/// use the rooms listed for it and nothing else, so no two rooms depend on each other and a
/// feature added to one room cannot drag another one along. docs/architecture.md draws the same map.
/// </summary>
public sealed class ArchitectureTests
{
    private const string Root = "UnhostedStore.";

    /// <summary>Room → the rooms it may use. A room missing from a list is a forbidden arrow.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> AllowedArrows = new Dictionary<string, string[]>
    {
        // Kernels: options validation and sizes; metric recorders that take plain values.
        ["Configuration"] = [],
        ["Telemetry"] = ["Configuration"],

        // Bytes and rows: they know no HTTP outcome, no user and no metrics.
        ["Persistence"] = ["Configuration"],
        ["Blobs"] = ["Configuration", "Telemetry"],
        ["Origins"] = ["Configuration"],

        // The product's rooms, each using only those below it.
        ["Accounts"] = ["Configuration", "Persistence", "Origins"],
        ["Authorization"] = ["Accounts", "Configuration", "Persistence", "Origins"],
        ["AbuseLimits"] = ["Authorization", "Configuration"],
        ["Storage"] = ["AbuseLimits", "Accounts", "Authorization", "Blobs", "Configuration", "Persistence"],
        ["DataFreedom"] = ["Accounts", "Authorization", "Blobs", "Configuration", "Origins", "Persistence", "Storage"],
        ["Previews"] = ["Blobs", "Configuration", "Persistence", "Storage"],
        ["Sharing"] = ["AbuseLimits", "Accounts", "Configuration", "DataFreedom", "Origins", "Persistence", "Previews", "Storage"],
        ["Health"] = ["Blobs", "Persistence"],
        ["WebFinger"] = ["Accounts", "Persistence", "Origins"],
        ["Pages"] = ["AbuseLimits", "Accounts", "Authorization", "Configuration", "DataFreedom", "Health", "Persistence", "Previews", "Sharing", "Storage", "Origins"],

        // Composition: the server, and the admin commands that run on the same services.
        ["Hosting"] = ["AbuseLimits", "Accounts", "Authorization", "Blobs", "Configuration", "DataFreedom", "Health", "Pages", "Persistence", "Previews", "Sharing", "Storage", "Telemetry", "Origins", "WebFinger"],
        ["Cli"] = ["Accounts", "Authorization", "Blobs", "Configuration", "DataFreedom", "Hosting", "Persistence", "Sharing", "Storage", "Origins"],
    };

    public static TheoryData<string> Rooms() => [.. AllowedArrows.Keys];

    [Theory]
    [MemberData(nameof(Rooms))]
    public void A_room_uses_only_the_rooms_its_arrows_allow(string room)
    {
        var violations = new List<string>();
        foreach (var other in AllowedArrows.Keys.Where(other => other != room && !AllowedArrows[room].Contains(other)))
        {
            var result = Types.InAssembly(typeof(Program).Assembly)
                .That().ResideInNamespace(Root + room)
                .ShouldNot().HaveDependencyOn(Root + other)
                .GetResult();
            if (!result.IsSuccessful)
            {
                violations.Add($"{room} -> {other}: {string.Join(", ", result.FailingTypeNames ?? [])}");
            }
        }

        Assert.True(violations.Count == 0, "forbidden arrows:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void Every_top_level_folder_of_the_source_is_a_room_in_the_table()
    {
        var namespaces = typeof(Program).Assembly.GetTypes()
            .Select(t => t.Namespace)
            .Where(n => n is not null && n.StartsWith(Root, StringComparison.Ordinal))
            .Select(n => n![Root.Length..].Split('.')[0])
            .Distinct()
            .Order()
            .ToArray();

        Assert.Empty(namespaces.Except(AllowedArrows.Keys));
    }

    [Fact]
    public void The_arrows_form_no_cycle()
    {
        var visiting = new HashSet<string>();
        var done = new HashSet<string>();
        foreach (var room in AllowedArrows.Keys)
        {
            Visit(room, []);
        }

        void Visit(string room, List<string> trail)
        {
            if (done.Contains(room))
            {
                return;
            }

            Assert.True(visiting.Add(room), "cycle: " + string.Join(" -> ", trail.Append(room)));
            foreach (var next in AllowedArrows[room])
            {
                Assert.True(AllowedArrows.ContainsKey(next), $"{room} names an unknown room {next}");
                Visit(next, [.. trail, room]);
            }

            visiting.Remove(room);
            done.Add(room);
        }
    }
}
