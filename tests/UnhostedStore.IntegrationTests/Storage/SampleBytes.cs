namespace UnhostedStore.IntegrationTests.Storage;

/// <summary>Document bodies shared by the document tests.</summary>
internal static class SampleBytes
{
    /// <summary>Every byte value once, 0 to 255 in order.</summary>
    public static readonly byte[] AllBytes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
}
