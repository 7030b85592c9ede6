using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using UnhostedStore.Accounts.KeyRing;
using UnhostedStore.Persistence;

namespace UnhostedStore.Authorization;

/// <summary>
/// The OAuth keys of this deployment, in the <c>ServerKeys</c> table. The first instance to start
/// on an empty database writes them (INSERT … ON CONFLICT DO NOTHING, so instances starting
/// together agree on one set: whoever inserts first wins, everyone reads back the winner); an
/// install that kept them in <c>{DataDirectory}/keys/oauth-keys.json</c> has that file's keys
/// imported instead, so tokens issued before the upgrade stay valid. Loaded once, after the
/// migrations ran (the migration hosted service, or lazily on first use by the CLI).
/// <para>ASVS V6.4.1: the keys are secrets at rest. Each value is stored encrypted with the key
/// file or certificate of <c>DataProtection:*</c> (<see cref="SecretSeal"/>), so a copy of the
/// database alone reveals none. Values an older version stored in the clear are read as they are
/// and stored encrypted from then on.</para>
/// </summary>
public sealed partial class ServerKeyStore(IServiceProvider services, IOptions<DatabaseOptions> database, ILogger<ServerKeyStore> logger) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private OAuthKeys? _keys;

    /// <summary>The keys, loading (or creating) them on first use.</summary>
    public OAuthKeys Keys => _keys ?? Task.Run(() => LoadAsync(CancellationToken.None)).GetAwaiter().GetResult();

    public async Task<OAuthKeys> LoadAsync(CancellationToken ct)
    {
        if (_keys is { } loaded)
        {
            return loaded;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_keys is { } again)
            {
                return again;
            }

            await using var scope = services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
            var stored = await ReadAsync(db, ct);
            if (!HasAll(stored))
            {
                var legacy = OAuthKeys.ReadLegacyFile(database.Value.DataDirectory);
                var candidates = legacy ?? OAuthKeys.Generate();
                foreach (var (name, value) in candidates)
                {
                    var sealedValue = Seal.Seal(name, value);
                    await db.Database.ExecuteSqlAsync($"""
                        INSERT INTO "ServerKeys" ("Name", "Value") VALUES ({name}, {sealedValue})
                        ON CONFLICT ("Name") DO NOTHING
                        """, ct);
                }

                stored = await ReadAsync(db, ct);
                if (legacy is not null)
                {
                    var file = OAuthKeys.LegacyFile(database.Value.DataDirectory);
                    LogImported(logger, file);
                }
            }

            if (!HasAll(stored))
            {
                throw new InvalidOperationException("The ServerKeys table lacks OAuth keys after writing them.");
            }

            await SealClearValuesAsync(db, stored, ct);
            _keys = OAuthKeys.FromStored(stored.ToDictionary(kv => kv.Key, kv => Seal.Open(kv.Key, kv.Value), StringComparer.Ordinal));
            return _keys;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>At server start, after the migrations: loads the OAuth keys, imports the
    /// data-protection keys an older version kept in <c>{DataDirectory}/keys/dataprotection</c>
    /// (so its cookies stay valid), and creates the key ring now rather than on a first request.</summary>
    public static async Task PrepareAsync(IServiceProvider services, CancellationToken ct)
    {
        var store = services.GetRequiredService<ServerKeyStore>();
        await store.LoadAsync(ct);
        await store.ImportLegacyDataProtectionKeysAsync(ct);
        // Instances starting together on an empty database may each create a key; each then
        // reads the others' on the first payload it cannot place (ASP.NET Core refreshes the key
        // ring on an unknown key id during its auto-refresh window).
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector("UnhostedStore.Startup").Protect([0]);
    }

    private async Task ImportLegacyDataProtectionKeysAsync(CancellationToken ct)
    {
        var dir = Path.Combine(Path.GetFullPath(database.Value.DataDirectory), "keys", "dataprotection");
        if (!Directory.Exists(dir))
        {
            return;
        }

        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<StorageDbContext>();
        if (await db.DataProtectionKeys.AnyAsync(ct))
        {
            return;
        }

        var files = Directory.GetFiles(dir, "*.xml");
        foreach (var file in files)
        {
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = Path.GetFileNameWithoutExtension(file), Xml = await File.ReadAllTextAsync(file, ct) });
        }

        await db.SaveChangesAsync(ct);
        if (files.Length > 0)
        {
            LogImportedDataProtection(logger, files.Length, dir);
        }
    }

    public void Dispose() => _gate.Dispose();

    private SecretSeal Seal => services.GetRequiredService<SecretSeal>();

    /// <summary>Encrypts the values an older version stored in the clear. Guarded by the old
    /// value, so instances doing it at once leave one encrypted value each, all equal in clear.</summary>
    private async Task SealClearValuesAsync(StorageDbContext db, Dictionary<string, string> stored, CancellationToken ct)
    {
        if (!Seal.Encrypts)
        {
            return;
        }

        foreach (var (name, value) in stored.Where(kv => SecretSeal.IsClear(kv.Value)).ToList())
        {
            var sealedValue = Seal.Seal(name, value);
            await db.Database.ExecuteSqlAsync($"""
                UPDATE "ServerKeys" SET "Value" = {sealedValue} WHERE "Name" = {name} AND "Value" = {value}
                """, ct);
        }
    }

    private static async Task<Dictionary<string, string>> ReadAsync(StorageDbContext db, CancellationToken ct) =>
        await db.ServerKeys.AsNoTracking().ToDictionaryAsync(k => k.Name, k => k.Value, StringComparer.Ordinal, ct);

    private static bool HasAll(Dictionary<string, string> stored) =>
        stored.ContainsKey(OAuthKeys.SigningName) && stored.ContainsKey(OAuthKeys.EncryptionName) && stored.ContainsKey(OAuthKeys.EcdsaName);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} data-protection keys imported from {Directory} into the database")]
    private static partial void LogImportedDataProtection(ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "OAuth keys imported from {File} into the database (the file is no longer read)")]
    private static partial void LogImported(ILogger logger, string file);
}

/// <summary>Gives OpenIddict the stored keys when its options are first built, which happens on
/// the first request, after the migrations ran; not at service registration.</summary>
public sealed class ServerKeyOptions(ServerKeyStore store) : IConfigureOptions<OpenIddictServerOptions>
{
    public void Configure(OpenIddictServerOptions options)
    {
        var keys = store.Keys;

        // The symmetric key first: access tokens are signed with it (HS256).
        options.SigningCredentials.Add(new SigningCredentials(keys.SigningKey, SecurityAlgorithms.HmacSha256));
        options.SigningCredentials.Add(new SigningCredentials(keys.AsymmetricSigningKey, SecurityAlgorithms.EcdsaSha256));
        options.EncryptionCredentials.Add(new EncryptingCredentials(keys.EncryptionKey, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
    }
}
