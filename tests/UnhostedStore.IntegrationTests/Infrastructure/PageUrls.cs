using Microsoft.Playwright;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// Waiting for a navigation by polling the page's URL. Playwright's <c>WaitForURLAsync</c> reads
/// the URL and only then starts listening for the navigation (or, when the URL already matches,
/// for its load event), so a navigation that commits in between is never seen and the wait runs
/// to its timeout (reproduced: 3 misses in 300 script navigations under CPU load). Its
/// <c>WaitForLoadStateAsync</c> listens for an event too, and was seen to miss the load of a
/// page reached through redirects (1 in 5 runs under load). A state read again and again cannot
/// be missed: the URL, then the document's own <c>readyState</c> (read in the page, and the URL
/// read again after it, so both belong to the same document).
/// </summary>
public static class PageUrls
{
    public static async Task WaitForUrlAsync(this IPage page, Func<string, bool> matches, float timeoutMs = 90_000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (true)
        {
            if (matches(page.Url))
            {
                try
                {
                    if (await page.EvaluateAsync<string>("document.readyState") == "complete" && matches(page.Url))
                    {
                        return;
                    }
                }
                catch (PlaywrightException)
                {
                    // The document went away while it was read (another navigation): read again.
                }
            }

            Assert.True(DateTime.UtcNow < deadline, $"the browser did not reach the expected page and load it; it is at {page.Url}");
            await Task.Delay(20);
        }
    }
}
