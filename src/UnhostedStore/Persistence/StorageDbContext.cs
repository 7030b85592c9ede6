using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using UnhostedStore.Accounts;

namespace UnhostedStore.Persistence;

/// <summary>
/// The one metadata context. Each provider has a subclass only so that it can own its own
/// migrations set (<see cref="SqliteStorageDbContext"/>, <see cref="PostgresStorageDbContext"/>).
/// </summary>
public abstract class StorageDbContext(DbContextOptions options) : IdentityDbContext<UserAccount>(options), IDataProtectionKeyContext
{
    /// <summary>ASP.NET Core data-protection keys (cookies, antiforgery), shared by every
    /// instance on this database.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <summary>The OAuth signing and encryption keys (<see cref="Authorization.ServerKeyStore"/>).</summary>
    public DbSet<ServerKey> ServerKeys => Set<ServerKey>();

    public DbSet<StorageAccount> Accounts => Set<StorageAccount>();

    /// <summary>Versions the next SaveChanges carries in its command (PostgreSQL,
    /// <see cref="VersionRows.SaveWithAsync"/>); null outside that call.</summary>
    internal IReadOnlyList<RetainedVersion>? PendingVersions { get; set; }

    public DbSet<StorageNode> Nodes => Set<StorageNode>();

    /// <summary>Replaced and deleted document versions (history and trash).</summary>
    public DbSet<RetainedVersion> DocumentVersions => Set<RetainedVersion>();

    public DbSet<ModuleUsage> ModuleUsage => Set<ModuleUsage>();

    /// <summary>Committed document changes, per user in order, for the change streams.</summary>
    public DbSet<ChangeLogEntry> ChangeLog => Set<ChangeLogEntry>();

    public DbSet<GrantUsage> GrantUsage => Set<GrantUsage>();

    public DbSet<Invite> Invites => Set<Invite>();

    public DbSet<AccountDeletion> AccountDeletions => Set<AccountDeletion>();
    public DbSet<BlobHold> BlobHolds => Set<BlobHold>();

    public DbSet<MoveInJob> MoveInJobs => Set<MoveInJob>();

    public DbSet<ShareLink> ShareLinks => Set<ShareLink>();
    public DbSet<ServerSetting> ServerSettings => Set<ServerSetting>();

    /// <summary>The audit log: who did what to which account (<see cref="AuditEvent"/>).</summary>
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

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
            e.Property(n => n.ModifiedBy).HasMaxLength(256);
            e.Property(n => n.InlineContent).Metadata.SetValueComparer(ImmutableBytes.Instance);

            // A folder listing is one range scan of this index.
            e.HasIndex(n => new { n.Owner, n.ParentPath });

            // "Does any row still name this blob?" before a blob is deleted: restore points a
            // document at a blob a version row holds, so keys can be shared.
            e.HasIndex(n => n.BlobKey).HasFilter("\"BlobKey\" IS NOT NULL");
        });

        builder.Entity<RetainedVersion>(e =>
        {
            e.ToTable("DocumentVersions");
            e.HasKey(v => v.Id);
            e.Property(v => v.Id).ValueGeneratedOnAdd();
            e.Property(v => v.Owner).HasMaxLength(64);
            e.Property(v => v.Path).HasMaxLength(2048);
            e.Property(v => v.ETag).HasMaxLength(64);
            e.Property(v => v.ContentType).HasMaxLength(1024);
            e.Property(v => v.BlobKey).HasMaxLength(128);
            e.Property(v => v.CreatedBy).HasMaxLength(256);
            e.Property(v => v.ReplacedBy).HasMaxLength(256);
            e.Property(v => v.InlineContent).Metadata.SetValueComparer(ImmutableBytes.Instance);

            // Every write with history on inserts a row, so its indexes are kept few and
            // append-mostly: a user's versions in the order they were replaced serve the quota
            // purge, expiry, a folder as of a time and one document's versions (scanned within
            // the user). An index led by the path would put each insert on a random page.
            e.HasIndex(v => new { v.Owner, v.ReplacedUtc });

            // The trash: only deletions pay for this one.
            e.HasIndex(v => new { v.Owner, v.Path }).HasFilter("\"Deleted\"").HasDatabaseName("IX_DocumentVersions_Trash");

            // Reference checks before a blob is deleted (inline versions have no entry).
            e.HasIndex(v => v.BlobKey).HasFilter("\"BlobKey\" IS NOT NULL");
        });

        builder.Entity<ChangeLogEntry>(e =>
        {
            e.ToTable("ChangeLogEntries");

            // A resume is one range scan of the key: the owner's entries after a sequence number.
            e.HasKey(c => new { c.Owner, c.Seq });
            e.Property(c => c.Seq).ValueGeneratedNever();
            e.Property(c => c.Owner).HasMaxLength(64);
            e.Property(c => c.Path).HasMaxLength(2048);
            e.Property(c => c.ETag).HasMaxLength(64);
            e.Property(c => c.ContentType).HasMaxLength(1024);

            // The retention job's scan for entries older than the retention across users.
            e.HasIndex(c => c.TimeUtc);
        });

        builder.Entity<ModuleUsage>(e =>
        {
            e.ToTable("ModuleUsage");
            e.HasKey(u => new { u.Owner, u.Module });
            e.Property(u => u.Owner).HasMaxLength(64);
            e.Property(u => u.Module).HasMaxLength(2048);
        });

        builder.Entity<GrantUsage>(e =>
        {
            e.ToTable("GrantUsage");
            e.HasKey(u => u.AuthorizationId);
            e.Property(u => u.AuthorizationId).HasMaxLength(100);
        });

        builder.Entity<ServerKey>(e =>
        {
            e.ToTable("ServerKeys");
            e.HasKey(k => k.Name);
            e.Property(k => k.Name).HasMaxLength(64);
        });

        builder.Entity<Invite>(e =>
        {
            e.ToTable("Invites");
            e.HasKey(i => i.TokenHash);
            e.Property(i => i.TokenHash).HasMaxLength(64);
            e.Property(i => i.CreatedBy).HasMaxLength(64);
            e.Property(i => i.UsedBy).HasMaxLength(64);
        });

        builder.Entity<AccountDeletion>(e =>
        {
            e.ToTable("AccountDeletions");
            e.HasKey(d => d.UserName);
            e.Property(d => d.UserName).HasMaxLength(64);
            e.Property(d => d.LeaseOwner).HasMaxLength(128);

            // The eraser's look-up of due deletions.
            e.HasIndex(d => new { d.State, d.EraseAfterUtc });
        });

        builder.Entity<BlobHold>(e =>
        {
            e.ToTable("BlobHolds");
            e.HasKey(h => h.Id);
            e.Property(h => h.Id).HasMaxLength(32);
            e.Property(h => h.Owner).HasMaxLength(64);
            e.HasIndex(h => h.Owner);
        });

        builder.Entity<MoveInJob>(e =>
        {
            e.ToTable("MoveInJobs");
            e.HasKey(j => j.Id);
            e.Property(j => j.Id).HasMaxLength(32);
            e.Property(j => j.UserName).HasMaxLength(64);
            e.Property(j => j.Source).HasMaxLength(512);
            e.Property(j => j.StorageRoot).HasMaxLength(2048);
            e.Property(j => j.LeaseOwner).HasMaxLength(128);

            // The resumer's look-up of unfinished jobs, and a person's own jobs.
            e.HasIndex(j => new { j.State, j.LeaseUntilUtc });
            e.HasIndex(j => j.UserName);
        });

        builder.Entity<ShareLink>(e =>
        {
            e.ToTable("ShareLinks");
            e.HasKey(l => l.Id);
            e.Property(l => l.Id).HasMaxLength(16);
            e.Property(l => l.TokenHash).HasMaxLength(64);
            e.Property(l => l.Owner).HasMaxLength(64);
            e.Property(l => l.Path).HasMaxLength(2048);
            e.Property(l => l.PasswordHash).HasMaxLength(256);

            // Opening a link is one probe of this index; the owner's list and erasure use the other.
            e.HasIndex(l => l.TokenHash).IsUnique();
            e.HasIndex(l => l.Owner);
        });

        builder.Entity<ServerSetting>(e =>
        {
            e.ToTable("ServerSettings");
            e.HasKey(s => s.Name);
            e.Property(s => s.Name).HasMaxLength(64);
            e.Property(s => s.Value).HasMaxLength(256);
        });

        builder.Entity<AuditEvent>(e =>
        {
            e.ToTable("AuditEvents");
            e.HasKey(a => a.Id);
            e.Property(a => a.Id).ValueGeneratedOnAdd();
            e.Property(a => a.Kind).HasMaxLength(AuditKinds.MaxCodeLength)
                .HasConversion(k => AuditKinds.Code(k), code => AuditKinds.Parse(code));
            e.Property(a => a.UserId).HasMaxLength(64);
            e.Property(a => a.UserName).HasMaxLength(64);
            e.Property(a => a.Actor).HasMaxLength(AuditEvent.MaxActor);
            e.Property(a => a.Ip).HasMaxLength(64);
            e.Property(a => a.UserAgent).HasMaxLength(AuditEvent.MaxUserAgent);
            e.Property(a => a.Detail).HasMaxLength(AuditEvent.MaxDetail);

            // A person's own activity page, and the admin page filtered by account name.
            e.HasIndex(a => new { a.UserId, a.TimeUtc });
            e.HasIndex(a => new { a.UserName, a.TimeUtc });

            // The admin page's newest-first list and the retention job's oldest-first scan.
            e.HasIndex(a => a.TimeUtc);
        });
    }
}

public sealed class SqliteStorageDbContext(DbContextOptions<SqliteStorageDbContext> options) : StorageDbContext(options);

public sealed class PostgresStorageDbContext(DbContextOptions<PostgresStorageDbContext> options) : StorageDbContext(options);
