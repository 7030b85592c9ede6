using UnhostedStore.IntegrationTests.E2E;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("UnhostedStore.IntegrationTests.Infrastructure.LongCollectionsFirst", "UnhostedStore.IntegrationTests")]

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the long collections first: the browser classes (which share one Chromium, about four
/// minutes), the storage contract on two instances (which share their servers), then the classes
/// marked <see cref="StartsEarlyAttribute"/>, then the others in xunit's own order. The suite
/// keeps both cores busy throughout, so what decides its end is a long class started late: it
/// then runs nearly alone (the browser collection did, for its last four minutes).
/// </summary>
public sealed class LongCollectionsFirst : ITestCollectionOrderer
{
    private const string ClassCollectionPrefix = "Test collection for ";

    private static readonly Dictionary<string, Type> Classes = typeof(LongCollectionsFirst).Assembly.GetTypes()
        .Where(t => t.IsClass && !t.IsAbstract)
        .SelectMany(t => new[] { (Name: t.FullName ?? t.Name, Type: t), (t.Name, Type: t) })
        .DistinctBy(x => x.Name, StringComparer.Ordinal)
        .ToDictionary(x => x.Name, x => x.Type, StringComparer.Ordinal);

    private readonly DefaultTestCollectionOrderer _default = new();

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        _default.OrderTestCollections(testCollections).OrderBy(Rank);

    private static int Rank(ITestCollection collection) => collection.DisplayName switch
    {
        BrowserCollection.Name => 0,
        MultiInstance.TwoInstancesCollection.Name => 1,
        _ => StartsEarly(collection) ? 2 : 3,
    };

    /// <summary>A class's own collection (xunit names it after the class) whose class is marked.</summary>
    private static bool StartsEarly(ITestCollection collection) =>
        collection.DisplayName.StartsWith(ClassCollectionPrefix, StringComparison.Ordinal)
        && Classes.TryGetValue(collection.DisplayName[ClassCollectionPrefix.Length..], out var type)
        && type.IsDefined(typeof(StartsEarlyAttribute), inherit: true);
}

/// <summary>A test class that takes a minute or more however many cores are free (processes
/// started and stopped, thousands of documents, waits on purpose): <see cref="LongCollectionsFirst"/>
/// starts it among the first.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = true)]
public sealed class StartsEarlyAttribute : Attribute;
