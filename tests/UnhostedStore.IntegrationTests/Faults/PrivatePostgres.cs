using Npgsql;

namespace UnhostedStore.IntegrationTests.Faults;

/// <summary>
/// A PostgreSQL server of its own (initdb + pg_ctl into a temp dir, as tests/run.sh does), on a
/// free loopback port, so a test can stop and start it.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string PgBin = "/usr/lib/postgresql/15/bin";

    private readonly string _work;
    private readonly string[] _asPostgres;

    private PrivatePostgres(string work, int port, string[] asPostgres)
    {
        _work = work;
        Port = port;
        _asPostgres = asPostgres;
    }

    public int Port { get; private set; }

    private string DataDir => Path.Combine(_work, "pg");

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Maximum Pool Size=20;Timeout=5";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var work = Path.Combine(Path.GetTempPath(), "us-fault-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(work);
        string[] asPostgres = [];
        if (Environment.UserName == "root")
        {
            // PostgreSQL refuses to run as root: the cluster belongs to the postgres user.
            await Shell.RunCheckedAsync("chown", ["postgres", work]);
            asPostgres = ["runuser", "-u", "postgres", "--"];
        }

        var pg = new PrivatePostgres(work, Shell.FreePort(), asPostgres);
        await pg.RunAsync($"{PgBin}/initdb", "-D", pg.DataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");

        // The free port was only free when it was picked: while initdb ran, another test's
        // outgoing connection may have taken it as its ephemeral port. Only this first start may
        // move to another port; a restart keeps the one the server's connection string names.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await pg.StartServerAsync();
                return pg;
            }
            catch (InvalidOperationException) when (attempt < 5 && pg.PortWasTaken())
            {
                pg.Port = Shell.FreePort();
            }
        }
    }

    public Task StartServerAsync() => RunAsync(
        $"{PgBin}/pg_ctl", "-D", DataDir, "-l", Path.Combine(DataDir, "server.log"), "-w", "-t", "60",
        "-o", $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories={_work} -c max_connections=100 -c shared_buffers=32MB -c fsync=off",
        "start");

    private bool PortWasTaken() =>
        File.Exists(Path.Combine(DataDir, "server.log"))
        && File.ReadAllText(Path.Combine(DataDir, "server.log")).Contains("Address already in use", StringComparison.Ordinal);

    public Task StopServerAsync() => RunAsync($"{PgBin}/pg_ctl", "-D", DataDir, "-m", "fast", "-w", "-t", "60", "stop");

    public async Task<string> CreateDatabaseAsync()
    {
        var name = "us_" + Guid.NewGuid().ToString("N");
        await using var conn = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", conn);
        await cmd.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    private async Task RunAsync(string program, params string[] arguments)
    {
        var command = _asPostgres.Length > 0 ? _asPostgres[0] : program;
        var args = _asPostgres.Length > 0 ? [.. _asPostgres[1..], program, .. arguments] : arguments;
        await Shell.RunCheckedAsync(command, args);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync($"{PgBin}/pg_ctl", "-D", DataDir, "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
