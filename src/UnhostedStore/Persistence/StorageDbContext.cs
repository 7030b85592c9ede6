using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;

namespace UnhostedStore.Persistence;

/// <summary>
/// The one metadata context. Each provider has a subclass only so that it can own its own
/// migrations set (<see cref="SqliteStorageDbContext"/>, <see cref="PostgresStorageDbContext"/>).
/// </summary>
public abstract class StorageDbContext(DbContextOptions options) : IdentityDbContext<UserAccount>(options)
{
    public DbSet<StorageAccount> Accounts => Set<StorageAccount>();

    public DbSet<StorageNode> Nodes => Set<StorageNode>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        // ASP.NET Core Identity (accounts) and OpenIddict (apps, grants, tokens) share this context.
        base.OnModelCreating(builder);
        builder.UseOpenIddict();

        builder.Entity<StorageAccount>(e =>
        {
            e.ToTable("StorageAccounts");
            e.HasKey(a => a.UserName);
            e.Property(a => a.UserName).HasMaxLength(64);
        });

        builder.Entity<StorageNode>(e =>
        {
            e.ToTable("StorageNodes");

            // A document lookup is one primary-key probe.
            e.HasKey(n => new { n.Owner, n.Path });
            e.Property(n => n.Owner).HasMaxLength(64);
            e.Property(n => n.Path).HasMaxLength(2048);
            e.Property(n => n.ParentPath).HasMaxLength(2048);
            e.Property(n => n.ETag).HasMaxLength(64);
            e.Property(n => n.ContentType).HasMaxLength(1024);
            e.Property(n => n.BlobKey).HasMaxLength(128);

            // A folder listing is one range scan of this index.
            e.HasIndex(n => new { n.Owner, n.ParentPath });
        });
    }
}

public sealed class SqliteStorageDbContext(DbContextOptions<SqliteStorageDbContext> options) : StorageDbContext(options);

public sealed class PostgresStorageDbContext(DbContextOptions<PostgresStorageDbContext> options) : StorageDbContext(options);
