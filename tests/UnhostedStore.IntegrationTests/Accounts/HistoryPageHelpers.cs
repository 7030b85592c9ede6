using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Accounts;

/// <summary>An app's writes through the storage API, and what the history pages need around them.</summary>
internal static class HistoryPageHelpers
{
    public static async Task PutAsync(ServerFixture server, string user, string token, string path, byte[] body, string contentType, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/storage/{user}{path}") { Content = content }.WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.True(
            response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Created,
            $"PUT {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    public static Task PutTextAsync(ServerFixture server, string user, string token, string path, string text, string contentType = "text/plain; charset=utf-8") =>
        PutAsync(server, user, token, path, Encoding.UTF8.GetBytes(text), contentType);

    public static async Task AppDeleteAsync(ServerFixture server, string user, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/storage/{user}{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    /// <summary>A document as the storage API serves it: status, bytes and Content-Type exactly as sent back.</summary>
    public static async Task<(HttpStatusCode Status, byte[] Body, string? ContentType)> ReadAsync(ServerFixture server, string user, string token, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/storage/{user}{path}").WithToken(token);
        using var response = await server.Client.SendAsync(request);
        var type = response.Content.Headers.TryGetValues("Content-Type", out var values) ? values.Single() : null;
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(), type);
    }

    public static async Task AssertStoredAsync(ServerFixture server, string user, string token, string path, byte[] body, string contentType)
    {
        var (status, stored, type) = await ReadAsync(server, user, token, path);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(body, stored);
        Assert.Equal(contentType, type);
    }

    /// <summary>The ids of the kept versions of a path, newest first.</summary>
    public static async Task<List<long>> VersionIdsAsync(ServerFixture server, string user, string path)
    {
        await using var scope = server.CreateScope();
        return await ServerFixture.Db(scope).DocumentVersions
            .Where(v => v.Owner == user && v.Path == path)
            .OrderByDescending(v => v.Id)
            .Select(v => v.Id)
            .ToListAsync();
    }

    /// <summary>
    /// A moment between writes made before and after it: the next full second, waited
    /// for, so that a time typed to the second (as the form sends it) falls strictly between.
    /// </summary>
    public static async Task<DateTime> MomentBetweenAsync()
    {
        var now = DateTime.UtcNow;
        var moment = new DateTime(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(1);
        var wait = moment.AddMilliseconds(150) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        return moment;
    }

    public static string Local(DateTime utc, int offsetMinutes) =>
        utc.AddMinutes(offsetMinutes).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Posts <paramref name="fields"/> to <paramref name="path"/> with the antiforgery
    /// token of <paramref name="page"/> (every logged-in page has one, in its log-out form).</summary>
    public static async Task<HttpResponseMessage> PostWithTokenAsync(Browser browser, string page, string path, params (string Name, string Value)[] fields)
    {
        var values = Html.HiddenInputs(Html.Form(page, "action=\"/logout\"")).ToDictionary(f => f.Name, f => f.Value, StringComparer.Ordinal);
        Assert.True(values.ContainsKey("__RequestVerificationToken"));
        foreach (var (name, value) in fields)
        {
            values[name] = value;
        }

        return await browser.PostAsync(path, values);
    }

    /// <summary>The text inside the element with <paramref name="id"/> (its first closing tag).</summary>
    public static string TextOf(string html, string id, string endTag = "</strong>")
    {
        var element = Html.Element(html, $"id=\"{id}\"", endTag);
        Assert.True(element is not null, $"no id=\"{id}\" in page:\n{html}");
        var start = element!.IndexOf('>', StringComparison.Ordinal) + 1;
        return Html.Text(element[start..^endTag.Length]).Trim();
    }
}
