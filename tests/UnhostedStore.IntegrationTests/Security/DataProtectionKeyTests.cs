using System.Net;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using UnhostedStore.IntegrationTests.Infrastructure;

namespace UnhostedStore.IntegrationTests.Security;

/// <summary>
/// ASVS V6.4.1: the data-protection keys (login cookies, antiforgery tokens, one-time links) are
/// stored encrypted in the metadata database, and only an instance with the same key file (or
/// certificate) can use them; keys stored unencrypted before keep working.
/// </summary>
public abstract class DataProtectionKeyTests(KeyFileServerFixture server)
{
    private const string Password = SecurityPages.Password;

    private async Task<Browser> LoggedInAsync()
    {
        var user = ServerFixture.NewUser();
        await Browser.CreateAccountAsync(server, user, Password);
        var browser = new Browser(server);
        await browser.LoginAsync(user, Password);
        return browser;
    }

    private static async Task<HttpStatusCode> AccountPageAsync(Browser browser)
    {
        using var response = await browser.GetAsync("/account");
        return response.StatusCode;
    }

    [Fact]
    public async Task The_key_rows_in_the_database_hold_no_plaintext_master_key()
    {
        using var browser = await LoggedInAsync();
        await using var scope = server.CreateScope();
        var rows = await ServerFixture.Db(scope).DataProtectionKeys.Select(k => k.Xml!).ToListAsync();

        Assert.NotEmpty(rows);
        Assert.All(rows, xml =>
        {
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            Assert.DoesNotContain("unencrypted form", xml, StringComparison.Ordinal);
            var secret = Assert.Single(XElement.Parse(xml).Descendants(), e => e.Name.LocalName == "encryptedSecret");
            Assert.StartsWith("UnhostedStore.Accounts.KeyRing.KeyFileXmlDecryptor, UnhostedStore", (string?)secret.Attribute("decryptorType"), StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_key_file_holds_256_random_bits_and_only_its_owner_may_read_it()
    {
        var text = (await File.ReadAllTextAsync(server.KeyFile)).Trim();
        Assert.Equal(32, Convert.FromBase64String(text).Length);
        if (server.Backend == Backend.SqliteFileSystem && !OperatingSystem.IsWindows())
        {
            // Made by the server itself on first start.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.KeyFile));
        }
    }

    [Fact]
    public async Task A_second_instance_with_the_same_key_file_reads_the_login_cookie_of_the_first()
    {
        using var browser = await LoggedInAsync();
        await using var second = ExtraInstance.Start(server.SameDatabase());
        using var there = second.Browser(server, browser.Cookies);
        Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(there));

        // And the other way round: a login on the second instance holds on the first.
        var user = ServerFixture.NewUser();
        await second.CreateAccountAsync(user, Password);
        using var secondLogin = second.Browser(server, new CookieContainer());
        await secondLogin.LoginAsync(user, Password);
        using var back = new Browser(server, server.BaseAddress, secondLogin.Cookies);
        Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(back));
    }

    [Fact]
    public async Task An_instance_without_that_key_file_cannot_read_the_login_cookie()
    {
        using var browser = await LoggedInAsync();
        var settings = server.SameDatabase();
        settings["DataProtection:KeyFile"] = KeyRingTestFiles.WriteKeyFile(Path.Combine(server.DataDirectory, "another.key"));
        await using var stranger = ExtraInstance.Start(settings);
        using var there = stranger.Browser(server, browser.Cookies);
        using (var response = await there.GetAsync("/account"))
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal("/login", new Uri(stranger.BaseAddress, response.Headers.Location!).AbsolutePath);
        }

        // The first instance still reads its own cookie.
        Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(browser));
    }

    [Fact]
    public async Task Keys_stored_unencrypted_before_keep_working_and_new_keys_are_encrypted()
    {
        // A database with one key stored the way this server stored them before: in plaintext.
        var settings = await NewDatabaseAsync();
        await using (var migrate = ExtraInstance.Start(settings))
        {
            await using var scope = migrate.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<UnhostedStore.Persistence.StorageDbContext>();
            await db.DataProtectionKeys.ExecuteDeleteAsync();
            var plain = PlaintextKeyXml();
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = "key-" + plain.Attribute("id")!.Value, Xml = plain.ToString(SaveOptions.DisableFormatting) });
            await db.SaveChangesAsync();
        }

        var user = ServerFixture.NewUser();
        await using var first = ExtraInstance.Start(settings);
        await first.CreateAccountAsync(user, Password);
        using var browser = first.Browser(server, new CookieContainer());
        await browser.LoginAsync(user, Password);

        // The cookie is protected with the old key, which another instance reads too.
        await using var second = ExtraInstance.Start(settings);
        using (var there = second.Browser(server, browser.Cookies))
        {
            Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(there));
        }

        // A new key (rotation) is stored encrypted; the old one stays as it was, and readable.
        second.Services.GetRequiredService<IKeyManager>().CreateNewKey(DateTimeOffset.UtcNow.AddMinutes(1), DateTimeOffset.UtcNow.AddDays(90));
        var rows = await second.KeyXmlAsync();
        Assert.Equal(2, rows.Count);
        Assert.Single(rows, xml => xml.Contains("<masterKey", StringComparison.Ordinal));
        Assert.Single(rows, xml => xml.Contains("KeyFileXmlDecryptor", StringComparison.Ordinal) && !xml.Contains("<masterKey", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(browser));
    }

    [Fact]
    public async Task With_a_certificate_the_keys_are_encrypted_with_it_and_an_instance_with_the_same_certificate_reads_the_cookie()
    {
        var settings = await NewDatabaseAsync();
        settings.Remove("DataProtection:KeyFile");
        settings["DataProtection:CertificatePath"] = KeyRingTestFiles.WriteCertificate(Path.Combine(settings["DataDirectory"]!, "keys.pfx"), "pfx password");
        settings["DataProtection:CertificatePassword"] = "pfx password";
        var user = ServerFixture.NewUser();
        await using var first = ExtraInstance.Start(settings);
        await first.CreateAccountAsync(user, Password);
        using var browser = first.Browser(server, new CookieContainer());
        await browser.LoginAsync(user, Password);

        var rows = await first.KeyXmlAsync();
        Assert.NotEmpty(rows);
        Assert.All(rows, xml =>
        {
            Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            Assert.Contains("EncryptedXmlDecryptor", xml, StringComparison.Ordinal);
            Assert.Contains("http://www.w3.org/2001/04/xmlenc#", xml, StringComparison.Ordinal);
        });

        await using var second = ExtraInstance.Start(settings);
        using var there = second.Browser(server, browser.Cookies);
        Assert.Equal(HttpStatusCode.OK, await AccountPageAsync(there));
    }

    /// <summary>Settings of a fresh database of this backend (a new DataDirectory, and on
    /// PostgreSQL a new database) with a key file of its own.</summary>
    private async Task<Dictionary<string, string?>> NewDatabaseAsync()
    {
        var directory = Path.Combine(server.DataDirectory, "other-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var settings = new Dictionary<string, string?> { ["DataDirectory"] = directory };
        if (server.Backend != Backend.SqliteFileSystem)
        {
            settings["ConnectionStrings:Postgres"] = await TestPostgres.CreateDatabaseAsync();
            settings["DataProtection:KeyFile"] = KeyRingTestFiles.WriteKeyFile(Path.Combine(directory, "shared.key"));
        }

        return settings;
    }

    /// <summary>A key made by data protection without any encryptor, as it is stored then.</summary>
    private static XElement PlaintextKeyXml()
    {
        var directory = Directory.CreateTempSubdirectory("us-plain-keys-");
        try
        {
            var provider = DataProtectionProvider.Create(directory, b => b.SetApplicationName("UnhostedStore"));
            provider.CreateProtector("make a key").Protect("now");
            var xml = XElement.Load(Assert.Single(directory.GetFiles("key-*.xml")).FullName);
            Assert.Contains("<masterKey", xml.ToString(), StringComparison.Ordinal);
            return xml;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}

public sealed class DataProtectionKeyTests_Sqlite(KeyFileSqliteFixture server) : DataProtectionKeyTests(server), IClassFixture<KeyFileSqliteFixture>;

public sealed class DataProtectionKeyTests_Postgres(KeyFilePostgresFixture server) : DataProtectionKeyTests(server), IClassFixture<KeyFilePostgresFixture>;
