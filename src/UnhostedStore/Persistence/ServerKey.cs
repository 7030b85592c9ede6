namespace UnhostedStore.Persistence;

/// <summary>One secret every instance must share (an OAuth signing or encryption key), base64.
/// Written once, race-free, by whichever instance starts first; never updated.</summary>
public sealed class ServerKey
{
    public required string Name { get; set; }

    public required string Value { get; set; }
}
