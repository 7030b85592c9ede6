using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Hosting;

/// <summary>Keeps every log message the server writes, formatted, with its exception.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Messages.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
}

/// <summary>A server logging at Trace for our categories, Debug for OpenIddict, into a <see cref="CapturingLoggerProvider"/>.</summary>
public sealed class LogCaptureFixture() : ServerFixture(Backend.SqliteFileSystem)
{
    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureSettings(IWebHostBuilder builder)
    {
        builder.UseSetting("Logging:LogLevel:Default", "Information");
        builder.UseSetting("Logging:LogLevel:UnhostedStore", "Trace");
        builder.UseSetting("Logging:LogLevel:OpenIddict", "Debug");

        // An operator turning ASP.NET Core's request logging on still gets no query strings.
        builder.UseSetting("Logging:LogLevel:Microsoft.AspNetCore", "Information");
        builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
    }
}

public sealed class LogSecretsTests(LogCaptureFixture server) : IClassFixture<LogCaptureFixture>
{
    [Fact]
    public async Task Tokens_bodies_and_query_strings_never_appear_in_log_messages()
    {
        var user = ServerFixture.NewUser();
        var token = server.Tokens.Issue(user, "notes:rw");
        var http = server.Client;
        var before = server.Logs.Messages.Count;

        var put = new ByteArrayContent(Encoding.UTF8.GetBytes("BODYSECRET"));
        put.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
        using (var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}/notes/doc?access_token=SECRET123") { Content = put }.WithToken(token)))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        using (var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/doc?access_token=SECRET123").WithToken(token)))
        {
            Assert.Equal("BODYSECRET", await response.Content.ReadAsStringAsync());
        }

        using (var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}/notes/doc").WithToken("BADTOKENSECRET123")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        using (await http.GetAsync("/oauth/authorize?client_id=https%3A%2F%2Fapp.example&redirect_uri=https%3A%2F%2Fapp.example%2F&response_type=token&scope=notes%3Arw&state=SECRET123&access_token=SECRET123"))
        {
        }

        using (await http.PostAsync("/oauth/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = "BODYSECRET",
            ["client_id"] = "https://app.example",
            ["redirect_uri"] = "https://app.example/",
        })))
        {
        }

        using (await http.PostAsync("/login?ReturnUrl=%2FSECRET123", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["UserName"] = user,
            ["Password"] = "BODYSECRET",
        })))
        {
        }

        using (await http.GetAsync($"/.well-known/webfinger?resource=acct%3A{user}%40example.org&x=SECRET123"))
        {
        }

        var messages = server.Logs.Messages.ToArray();
        Assert.True(messages.Length > before, "the capturing provider saw no message for these requests");
        foreach (var secret in new[] { "SECRET123", token, "BODYSECRET" })
        {
            var leaked = messages.Where(m => m.Contains(secret, StringComparison.Ordinal)).ToArray();
            Assert.True(leaked.Length == 0, $"'{secret}' was logged:\n{string.Join('\n', leaked)}");
        }
    }
}
