namespace UnhostedStore.IntegrationTests.Security;

/// <summary>The tests' own TOTP against the RFC's test vectors, so that it proves something.</summary>
public sealed class TotpTests
{
    [Theory]
    [InlineData(59, "287082")]
    [InlineData(1111111109, "081804")]
    [InlineData(1234567890, "005924")]
    [InlineData(2000000000, "279037")]
    public void The_codes_match_rfc_6238_appendix_b_for_sha1_in_six_digits(long unixSeconds, string expected)
    {
        // RFC 6238 Appendix B: the ASCII key "12345678901234567890" (its base32 form here), 8
        // digits there; the last 6 of them are the 6-digit code.
        Assert.Equal(expected, Totp.Code("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", DateTimeOffset.FromUnixTimeSeconds(unixSeconds)));
    }
}
