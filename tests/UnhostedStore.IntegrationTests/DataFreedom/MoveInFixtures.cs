using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.DataFreedom;

/// <summary>The old server of a move-in: a second UnhostedStore (SQLite) beside the one under test.</summary>
public sealed class MoveInSource : IAsyncLifetime
{
    public SqliteServerFixture Server { get; } = new();

    public Task InitializeAsync() => Server.InitializeAsync();

    public Task DisposeAsync() => Server.DisposeAsync();

    /// <summary>The user's old address on this server, host with port.</summary>
    public string Address(string user) => user + "@" + Server.InProcessAddress.Authority;
}

/// <summary>
/// A lying old server: answers WebFinger and storage requests from a table the test fills,
/// so listings can be non-JSON, loop, or hold items that are not objects.
/// </summary>
public sealed class FakeOldServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOldServer(WebApplication app, Dictionary<string, (string Type, byte[] Body)> answers)
    {
        _app = app;
        Answers = answers;
    }

    /// <summary>Path (decoded, after <c>/storage/alice</c>) → content type and body.</summary>
    public Dictionary<string, (string Type, byte[] Body)> Answers { get; }

    public string Authority => new Uri(_app.Urls.First()).Authority;

    public string Address => "alice@" + Authority;

    /// <summary>Overrides the WebFinger answer (null: the usual one).</summary>
    public string? WebFinger { get; set; }

    /// <summary>The usual WebFinger answer also announces the code grant (draft-26 §10.1): its
    /// authorization endpoint <c>/authorize</c>, token endpoint <c>/oauth/token</c> and S256.</summary>
    public bool OffersCodeGrant { get; set; }

    /// <summary>What <c>POST /oauth/token</c> answers: status code and JSON (or not) body.</summary>
    public (int Status, string Body) TokenAnswer { get; set; } = (200, """{"access_token":"fake-token","token_type":"bearer"}""");

    /// <summary>The form fields of every request to the token endpoint.</summary>
    public ConcurrentQueue<Dictionary<string, string>> TokenRequests { get; } = new();

    public string TokenEndpoint => "http://" + Authority + "/oauth/token";

    public static async Task<FakeOldServer> StartAsync()
    {
        var answers = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeOldServer? fake = null;
        app.MapGet("/.well-known/webfinger", (HttpContext c) =>
        {
            var origin = "http://" + c.Request.Host.Value;
            var code = fake!.OffersCodeGrant
                ? $$$""","http://tools.ietf.org/html/rfc6749#section-3.1":"{{{origin}}}/authorize","http://tools.ietf.org/html/rfc6749#section-3.2":"{{{origin}}}/oauth/token","http://tools.ietf.org/html/rfc7636":"S256" """
                : string.Empty;
            var body = fake.WebFinger ?? $$$"""
                {"subject":"acct:alice@{{{c.Request.Host.Value}}}","links":[{"rel":"{{{MoveInDiscovery.RemoteStorageRel}}}","href":"{{{origin}}}/storage/alice",
                "properties":{"http://remotestorage.io/spec/version":"draft-dejong-remotestorage-26","http://tools.ietf.org/html/rfc6749#section-4.2":"{{{origin}}}/oauth"{{{code}}} }}]}
                """;
            return Results.Text(body, "application/jrd+json");
        });
        app.MapPost("/oauth/token", async (HttpContext c) =>
        {
            var form = await c.Request.ReadFormAsync();
            fake!.TokenRequests.Enqueue(form.ToDictionary(f => f.Key, f => f.Value.ToString(), StringComparer.Ordinal));
            return Results.Text(fake.TokenAnswer.Body, "application/json", statusCode: fake.TokenAnswer.Status);
        });
        app.MapGet("/storage/alice/{**path}", (string? path) =>
            fake!.Answers.TryGetValue("/" + (path ?? string.Empty), out var answer)
                ? Results.Bytes(answer.Body, answer.Type)
                : Results.StatusCode((int)HttpStatusCode.NotFound));
        await app.StartAsync();
        fake = new FakeOldServer(app, answers);
        return fake;
    }

    public void Listing(string folder, string json) => Answers[folder] = ("application/ld+json", System.Text.Encoding.UTF8.GetBytes(json));

    public void Document(string path, string text) => Answers[path] = ("text/plain", System.Text.Encoding.UTF8.GetBytes(text));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
