using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using UnhostedStore.IntegrationTests.Infrastructure;
using UnhostedStore.Persistence;
using UnhostedStore.Sharing;

namespace UnhostedStore.IntegrationTests.Sharing;

/// <summary>
/// Someone who got a share link: no account, cookies of their own (antiforgery, link
/// passwords), no redirects followed, and a client IP of their own (X-Forwarded-For).
/// </summary>
internal sealed class Visitor : IDisposable
{
    private readonly HttpClient _client;

    public Visitor(ServerFixture server, string? ip = null)
    {
        Ip = ip ?? $"10.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
        _client = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = true,
            CookieContainer = Cookies,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            BaseAddress = server.BaseAddress,
        };
    }

    public string Ip { get; }

    public CookieContainer Cookies { get; } = new();

    public async Task<HttpResponseMessage> GetAsync(string url, Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Forwarded-For", Ip);
        configure?.Invoke(request);
        return await _client.SendAsync(request);
    }

    /// <summary>GETs a page and returns its status and HTML.</summary>
    public async Task<(HttpStatusCode Status, string Html)> PageAsync(string url)
    {
        using var response = await GetAsync(url);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async Task<byte[]> BytesAsync(string url, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await GetAsync(url);
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == expected, $"GET {url}: {(int)response.StatusCode}");
        return body;
    }

    /// <summary>Posts the form of <paramref name="html"/> holding <paramref name="marker"/>, with its hidden fields.</summary>
    public async Task<HttpResponseMessage> SubmitAsync(string html, string marker, params (string Name, string Value)[] fields)
    {
        var form = Html.Form(html, marker);
        var values = Html.HiddenInputs(form).ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        foreach (var (name, value) in fields)
        {
            values[name] = value;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, Html.Attribute(form, "action")) { Content = new FormUrlEncodedContent(values) };
        request.Headers.Add("X-Forwarded-For", Ip);
        return await _client.SendAsync(request);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>Documents, links and media the share tests need.</summary>
internal static class ShareHelpers
{
    public static async Task PutAsync(ServerFixture server, string user, string token, string path, byte[] bytes, string contentType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {path}: {(int)response.StatusCode}");
    }

    public static Task PutTextAsync(ServerFixture server, string user, string token, string path, string text, string contentType = "text/plain; charset=utf-8") =>
        PutAsync(server, user, token, path, System.Text.Encoding.UTF8.GetBytes(text), contentType);

    /// <summary>Makes a link as the owner's pages and CLI do; returns its URL path (<c>/s/&lt;token&gt;</c>).</summary>
    public static async Task<string> ShareAsync(ServerFixture server, string owner, string path, int days = 7, string? password = null)
    {
        await using var scope = server.CreateScope();
        var created = await scope.ServiceProvider.GetRequiredService<ShareLinks>().CreateAsync(owner, path, days, password, CancellationToken.None);
        Assert.True(created.Succeeded, created.Error);
        return SharePaths.Prefix + created.Token;
    }

    public static async Task<ShareLink> LinkAsync(ServerFixture server, string url)
    {
        await using var scope = server.CreateScope();
        var hash = ShareTokens.Hash(SharePaths.ParseTarget(url)!.Token);
        return await ServerFixture.Db(scope).ShareLinks.AsNoTracking().SingleAsync(l => l.TokenHash == hash);
    }

    public static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values)
            ? string.Join(", ", values)
            : null;

    /// <summary>A real WAV file: 16-bit mono PCM, a 440 Hz sine, <paramref name="seconds"/> long.</summary>
    public static byte[] Wav(double seconds, int sampleRate = 8000)
    {
        var samples = (int)(seconds * sampleRate);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.ASCII, leaveOpen: true))
        {
            w.Write("RIFF"u8);
            w.Write(36 + (samples * 2));
            w.Write("WAVE"u8);
            w.Write("fmt "u8);
            w.Write(16);
            w.Write((short)1);
            w.Write((short)1);
            w.Write(sampleRate);
            w.Write(sampleRate * 2);
            w.Write((short)2);
            w.Write((short)16);
            w.Write("data"u8);
            w.Write(samples * 2);
            for (var i = 0; i < samples; i++)
            {
                w.Write((short)(Math.Sin(2 * Math.PI * 440 * i / sampleRate) * 12000));
            }
        }

        return stream.ToArray();
    }

    /// <summary>A real PNG or JPEG of a colour gradient, made with ImageSharp.</summary>
    public static byte[] Picture(int width, int height, bool jpeg = false)
    {
        using var image = new Image<Rgba32>(width, height);
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < row.Length; x++)
                {
                    row[x] = new Rgba32((byte)(x * 255 / width), (byte)(y * 255 / height), 128);
                }
            }
        });
        using var output = new MemoryStream();
        if (jpeg)
        {
            image.SaveAsJpeg(output);
        }
        else
        {
            image.SaveAsPng(output);
        }

        return output.ToArray();
    }

    public static void AssertSandboxed(HttpResponseMessage response)
    {
        Assert.Equal("sandbox; default-src 'none'", Header(response, "Content-Security-Policy"));
        Assert.Equal("nosniff", Header(response, "X-Content-Type-Options"));
    }

    public static string? Disposition(HttpResponseMessage response) =>
        response.Content.Headers.ContentDisposition?.DispositionType;

    public static MediaTypeHeaderValue? Type(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
