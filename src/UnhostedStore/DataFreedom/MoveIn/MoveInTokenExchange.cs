using System.Text.Json;

namespace UnhostedStore.DataFreedom.MoveIn;

/// <summary>What the code grant's callback brought back, and what is needed to redeem it.</summary>
public sealed record CodeRedemption(Uri TokenEndpoint, string Code, string RedirectUri, string ClientId, string CodeVerifier);

/// <summary>
/// Redeems an authorization code at the old server's token endpoint: the access token request
/// of RFC 6749 §4.1.3 with the code_verifier of RFC 7636 §4.5, answered as in §5.1 (success) or
/// §5.2 (error). Sent with the move-in client, so the address check holds for every connection
/// and no redirect is followed. The code, verifier and token never go into a message or a log.
/// </summary>
public sealed class MoveInTokenExchange(IHttpClientFactory clients)
{
    public const int MaxAnswerBytes = 64 * 1024;
    public const int MaxTokenLength = 4096;
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The access token; throws <see cref="MoveInRefusedException"/> with a message for the person.</summary>
    public async Task<string> RedeemAsync(CodeRedemption redemption, CancellationToken ct)
    {
        var host = redemption.TokenEndpoint.Authority;
        var client = clients.CreateClient(MoveInServices.ClientName);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        bool success;
        byte[] body;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, redemption.TokenEndpoint)
            {
                Content = new FormUrlEncodedContent(
                [
                    new("grant_type", "authorization_code"),
                    new("code", redemption.Code),
                    new("redirect_uri", redemption.RedirectUri),
                    new("client_id", redemption.ClientId),
                    new("code_verifier", redemption.CodeVerifier),
                ]),
            };
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            success = response.IsSuccessStatusCode;
            body = await Limits.ReadCappedAsync(response.Content, MaxAnswerBytes, timeout.Token)
                ?? throw new MoveInRefusedException($"{host} answered with far more than an access token, so nothing was copied. Start again.");
        }
        catch (HttpRequestException e)
        {
            throw new MoveInRefusedException($"{host} could not be reached to finish the authorization, so nothing was copied: {Limits.Describe(e)}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new MoveInRefusedException($"{host} did not finish the authorization within {Timeout.TotalSeconds} seconds, so nothing was copied. Start again.", e);
        }

        return Read(host, success, body);
    }

    private static string Read(string host, bool success, byte[] body)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new MoveInRefusedException(success
                ? $"{host} answered the authorization with something that is not an access token (not JSON), so nothing was copied. Start again."
                : $"{host} refused to hand out access, so nothing was copied. Start again.", e);
        }

        using (json)
        {
            var root = json.RootElement;
            if (!success)
            {
                // RFC 6749 §5.2: invalid_grant is a code that expired or was used already.
                var error = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                throw new MoveInRefusedException(error == "invalid_grant"
                    ? $"{host} no longer accepts this authorization (it may have expired or been used already), so nothing was copied. Start again."
                    : $"{host} refused to hand out access{(IsErrorCode(error) ? $" ({error})" : string.Empty)}, so nothing was copied. Start again.");
            }

            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("access_token", out var token) || token.ValueKind != JsonValueKind.String
                || token.GetString() is not { Length: > 0 and <= MaxTokenLength } value || value.Any(c => c <= ' ' || c > '~'))
            {
                throw new MoveInRefusedException($"{host} answered the authorization without a usable access token, so nothing was copied. Start again.");
            }

            // RFC 6749 §5.1, RFC 6750: the copy sends the token as a bearer token, the only kind
            // a remoteStorage server hands out (draft-26 §9).
            if (root.TryGetProperty("token_type", out var type)
                && !(type.ValueKind == JsonValueKind.String && string.Equals(type.GetString(), "bearer", StringComparison.OrdinalIgnoreCase)))
            {
                throw new MoveInRefusedException($"{host} handed out a kind of access token this server cannot use (not a bearer token), so nothing was copied.");
            }

            return value;
        }
    }

    /// <summary>RFC 6749 §5.2: error codes are short ASCII; anything else is not shown.</summary>
    private static bool IsErrorCode(string? error) =>
        error is { Length: > 0 and <= 64 } && error.All(c => char.IsAsciiLetterLower(c) || c == '_');
}
