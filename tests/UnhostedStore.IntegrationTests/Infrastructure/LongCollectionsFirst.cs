using UnhostedStore.IntegrationTests.E2E;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("UnhostedStore.IntegrationTests.Infrastructure.LongCollectionsFirst", "UnhostedStore.IntegrationTests")]

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the two long collections first (the browser classes, which share one Chromium, about
/// four minutes; then the storage contract on two instances, which share their servers), then
/// the others in xunit's own order. Each runs its classes one after another; started among the
/// last, the browser collection ran alone at the end of the suite while the other threads stood
/// idle.
/// </summary>
public sealed class LongCollectionsFirst : ITestCollectionOrderer
{
    private readonly DefaultTestCollectionOrderer _default = new();

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        _default.OrderTestCollections(testCollections).OrderBy(c => c.DisplayName switch
        {
            BrowserCollection.Name => 0,
            MultiInstance.TwoInstancesCollection.Name => 1,
            _ => 2,
        });
}
