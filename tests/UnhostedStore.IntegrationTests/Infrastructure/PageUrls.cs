using Microsoft.Playwright;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Waiting for a navigation by polling the page's URL. Playwright's <c>WaitForURLAsync</c> reads
/// the URL and only then starts listening for the navigation (or, when the URL already matches,
/// for its load event), so a navigation that commits in between is never seen and the wait runs
/// to its timeout (reproduced: 3 misses in 300 script navigations under CPU load). A state read
/// again and again cannot be missed; the load state is then a state too.
/// </summary>
public static class PageUrls
{
    public static async Task WaitForUrlAsync(this IPage page, Func<string, bool> matches, float timeoutMs = 90_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!matches(page.Url))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the browser did not reach the expected page; it is at {page.Url}");
            await Task.Delay(20);
        }

        await page.WaitForLoadStateAsync(LoadState.Load, new() { Timeout = timeoutMs });
    }
}
