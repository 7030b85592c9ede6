using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using UnhostedStore.Persistence;

namespace UnhostedStore.Tests;

public class PostgresListenLoopTests
{
    [Fact]
    public async Task Stopping_while_the_connection_is_still_opening_neither_throws_nor_waits_longer_than_the_connect_timeout()
    {
        // A server that accepts and never answers holds Npgsql in the Connecting state.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var accepting = Task.Run(async () =>
        {
            while (true)
            {
                accepted.Add(await silent.AcceptSocketAsync());
            }
        });
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = ((IPEndPoint)silent.LocalEndpoint).Port,
            Username = "nobody",
            Timeout = 3,
        };
        using var stop = new CancellationTokenSource();
        var lost = 0;
        var loop = Task.Factory.StartNew(
            () => PostgresListenLoop.Run(builder, ["nothing"], (_, _) => { }, _ => { }, _ => Interlocked.Increment(ref lost), TimeSpan.FromSeconds(1), stop.Token),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        var deadline = Stopwatch.StartNew();
        while (accepted.Count == 0 && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.NotEmpty(accepted);
        await Task.Delay(200);
        var stopping = Stopwatch.StartNew();
        stop.Cancel();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopped after {stopping.Elapsed}");
        Assert.Equal(0, Volatile.Read(ref lost));
        silent.Stop();
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }
}
