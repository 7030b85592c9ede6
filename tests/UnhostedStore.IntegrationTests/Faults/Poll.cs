using System.Diagnostics;
using System.Net.Sockets;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>Polls with a deadline instead of sleeping for a fixed time.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var watch = Stopwatch.StartNew();
        T last;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe();
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException or SocketException or TaskCanceledException)
            {
                lastError = e;
                last = default!;
            }

            if (watch.Elapsed > deadline)
            {
                throw new TimeoutException($"{what}: not reached within {deadline.TotalSeconds}s (last: {last?.ToString() ?? lastError?.Message})");
            }

            await Task.Delay(100);
        }
    }
}
