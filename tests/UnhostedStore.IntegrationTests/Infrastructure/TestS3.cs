using Minio;
using Minio.DataModel.Args;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>
/// The S3 server (OpenStack Swift with s3api) that <c>tests/run.sh</c> starts and announces in
/// <c>UNHOSTEDSTORE_TEST_S3_*</c>. Each fixture uses its own bucket.
/// </summary>
public static class TestS3
{
    public static string Endpoint => Required("UNHOSTEDSTORE_TEST_S3_ENDPOINT");

    public static string AccessKey => Required("UNHOSTEDSTORE_TEST_S3_ACCESS_KEY");

    public static string SecretKey => Required("UNHOSTEDSTORE_TEST_S3_SECRET_KEY");

    public static IEnumerable<(string Key, string Value)> Settings(string bucket) =>
    [
        ("Blobs:Provider", "S3"),
        ("Blobs:S3:Endpoint", Endpoint),
        ("Blobs:S3:AccessKey", AccessKey),
        ("Blobs:S3:SecretKey", SecretKey),
        ("Blobs:S3:Region", "us-east-1"),
        ("Blobs:S3:Bucket", bucket),
        ("Blobs:S3:UseTls", "false"),
    ];

    /// <summary>A client straight to the S3 server, for asserting on stored objects.</summary>
    public static IMinioClient Client() =>
        new MinioClient().WithEndpoint(Endpoint).WithCredentials(AccessKey, SecretKey).WithRegion("us-east-1").WithSSL(false).Build();

    public static async Task<List<string>> ListKeysAsync(string bucket)
    {
        using var client = (IDisposable)Client();
        var keys = new List<string>();
        await foreach (var item in ((IMinioClient)client).ListObjectsEnumAsync(new ListObjectsArgs().WithBucket(bucket).WithRecursive(true)))
        {
            keys.Add(item.Key);
        }

        return keys;
    }

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"S3 tests need an S3 server. Run the suite with `bash tests/run.sh`, which starts OpenStack Swift " +
                "(apt-get install -y python3-swift swift swift-proxy swift-account swift-container swift-object memcached), " +
                $"or set {name} and the other UNHOSTEDSTORE_TEST_S3_* variables.");
}
