using UnhostedStore.DataFreedom.MoveIn;

namespace UnhostedStore.Tests;

public sealed class MoveInPkceTests
{
    [Fact]
    public void The_challenge_is_the_s256_of_rfc_7636_appendix_b() =>
        Assert.Equal("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", MoveInPkce.Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));

    [Fact]
    public void Verifiers_are_43_unreserved_characters_and_never_repeat()
    {
        var verifiers = Enumerable.Range(0, 200).Select(_ => MoveInPkce.NewVerifier()).ToList();
        Assert.All(verifiers, v => Assert.Matches("^[A-Za-z0-9_-]{43}$", v));
        Assert.Equal(verifiers.Count, verifiers.Distinct(StringComparer.Ordinal).Count());
        Assert.All(verifiers, v => Assert.Matches("^[A-Za-z0-9_-]{43}$", MoveInPkce.Challenge(v)));
    }
}
