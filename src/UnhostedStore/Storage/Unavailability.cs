using System.Data.Common;
using System.Net.Sockets;
using UnhostedStore.Blobs;

namespace UnhostedStore.Storage;

/// <summary>
/// Which failures mean "a backing service is down" (answer 503 with Retry-After and let the
/// client retry) rather than a bug (500).
/// </summary>
public static class Unavailability
{
    public static string? Describe(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (x)
            {
                case BlobStoreUnavailableException:
                    return "the blob store is unreachable";
                case DbException db when IsTransient(db):
                    return "the metadata database is unreachable";
                case SocketException or TimeoutException:
                    return "a backing service is unreachable";
                case InvalidOperationException when x.Message.Contains("transient failure", StringComparison.OrdinalIgnoreCase):
                    return "the metadata database is unreachable";
            }
        }

        return null;
    }

    private static bool IsTransient(DbException e) =>
        e.IsTransient || e is Npgsql.NpgsqlException { InnerException: IOException or SocketException or TimeoutException } or Npgsql.PostgresException { SqlState: "57P01" or "57P02" or "57P03" or "53300" };
}
