using Microsoft.Playwright;

namespace UnhostedStore.IntegrationTests.E2E;

/// <summary>
/// One headless Chromium (Debian's, driven by Playwright; no browser is ever downloaded) and the
/// app's static server, shared by the end-to-end test classes. Each test opens its own browser
/// context: fresh cookies and localStorage, like a new browser profile.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public AppServer App { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        E2EEnvironment.EnsureReady();
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        App = await AppServer.StartAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = E2EEnvironment.Chromium,
            Headless = true,
            Timeout = 90_000,

            // Playwright adds --headless and a fresh --user-data-dir of its own (a temp profile per launch).
            Args =
            [
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (App is not null)
        {
            await App.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    /// <summary>One browser for all end-to-end classes; they run one after another.</summary>
    public const string Name = "Browser";
}
