using System.Net;
using System.Text;
using Microsoft.Extensions.Options;
using UnhostedStore.DataFreedom.MoveIn;
using UnhostedStore.Origins;

namespace UnhostedStore.Tests;

public sealed class MoveInCheckTests
{
    private static AddressGuard Guard(bool allowPrivate) => new(Options.Create(new HostingOptions { AllowPrivateMoveIn = allowPrivate }));

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.5.4")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("fd12::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void Private_addresses_are_refused_unless_allowed(string address)
    {
        Assert.Contains("private address", Guard(false).Refuse(IPAddress.Parse(address)), StringComparison.Ordinal);
        Assert.Null(Guard(true).Refuse(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("93.184.216.34")]
    [InlineData("172.32.0.1")]
    [InlineData("2001:db8::1")]
    public void Loopback_and_public_addresses_are_allowed(string address) =>
        Assert.Null(Guard(false).Refuse(IPAddress.Parse(address)));

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.1")]
    public void Addresses_no_server_has_are_refused_even_when_private_ones_are_allowed(string address) =>
        Assert.NotNull(Guard(true).Refuse(IPAddress.Parse(address)));

    [Theory]
    [InlineData("alice@old.example", "alice", "old.example")]
    [InlineData("acct:bob@127.0.0.1:8000", "bob", "127.0.0.1:8000")]
    [InlineData(" me.you@host.example ", "me.you", "host.example")]
    public void Addresses_parse_into_user_and_host(string input, string user, string host) =>
        Assert.Equal((user, host), MoveInDiscovery.ParseAddress(input));

    [Theory]
    [InlineData("")]
    [InlineData("alice")]
    [InlineData("@host")]
    [InlineData("alice@")]
    [InlineData("alice@host/path")]
    [InlineData("al ice@host")]
    public void Other_input_is_not_an_address(string input) => Assert.Null(MoveInDiscovery.ParseAddress(input));

    [Fact]
    public void A_listing_keeps_valid_items_and_refuses_the_rest_with_reasons()
    {
        var json = """{"items":{"a/":{"ETag":"1"},"b.txt":{"ETag":"2","Content-Type":"text/plain"},"..":{"ETag":"3"},"c":[1],"x\ny":{"ETag":"4"}}}""";
        var (entries, refused) = MoveInListing.Parse(Encoding.UTF8.GetBytes(json));
        Assert.Equal(["a", "b.txt"], entries.Select(e => e.Name));
        Assert.Equal([true, false], entries.Select(e => e.IsFolder));
        Assert.Equal("text/plain", entries[1].ContentType);
        Assert.Equal(3, refused.Count);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"items\": []}")]
    public void A_listing_without_an_items_object_is_refused(string body) =>
        Assert.Throws<MoveInRefusedException>(() => MoveInListing.Parse(Encoding.UTF8.GetBytes(body)));
}
