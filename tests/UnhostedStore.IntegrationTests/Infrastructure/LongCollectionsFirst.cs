using UnhostedStore.IntegrationTests.E2E;
using Xunit.Abstractions;
using Xunit.Sdk;

[assembly: TestCollectionOrderer("UnhostedStore.IntegrationTests.Infrastructure.BrowserCollectionFirst", "UnhostedStore.IntegrationTests")]

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Starts the browser collection first, then the others in xunit's own order. The browser
/// classes share one Chromium and run one after another, about four minutes in all; started
/// among the last, they ran alone at the end of the suite while the other threads stood idle.
/// </summary>
public sealed class BrowserCollectionFirst : ITestCollectionOrderer
{
    private readonly DefaultTestCollectionOrderer _default = new();

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        _default.OrderTestCollections(testCollections).OrderBy(c => c.DisplayName == BrowserCollection.Name ? 0 : 1);
}
