using Microsoft.AspNetCore.Identity;

namespace UnhostedStore.Persistence;

/// <summary>
/// A server-wide setting an admin changes at run time (on the admin pages or with the CLI), kept
/// in the database so that every instance on it agrees at once. Configuration gives only the
/// value a setting has before it was ever changed.
/// </summary>
public sealed class ServerSetting
{
    public required string Name { get; set; }

    public required string Value { get; set; }

    public DateTime UpdatedUtc { get; set; }
}

/// <summary>
/// The ASP.NET Core Identity store schema this database has. Version 3 adds the passkeys table
/// (AspNetUserPasskeys, WebAuthn credentials). Identity builds its part of the model from
/// <see cref="StoreOptions.SchemaVersion"/> in the application's services, so the server, the CLI
/// and the design-time factories (migrations) must all set the same one.
/// </summary>
public static class IdentitySchema
{
    public static readonly Version Version = IdentitySchemaVersions.Version3;

    public static void Configure(IdentityOptions options) => options.Stores.SchemaVersion = Version;

    /// <summary>Just enough application services for <c>dotnet ef</c> to build the same model.</summary>
    internal static IServiceProvider DesignTimeServices() =>
        new ServiceCollection().Configure<IdentityOptions>(Configure).BuildServiceProvider();
}
