using UnhostedStore.Storage;

namespace UnhostedStore.Tests;

public class StoragePathTests
{
    [Fact]
    public void Parse_decodes_unicode_names_once()
    {
        var result = StoragePath.TryParse("/pictures/Capture%20d%27%C3%A9cran.jpg", out var path);
        Assert.True(result.Success);
        Assert.Equal("/pictures/Capture d'écran.jpg", path!.Value);
    }
}
