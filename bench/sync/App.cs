using System.Net.Sockets;

namespace SyncSim;

/// <summary>
/// One connected app: which user and instance, what it knows of its user's folder (the versions a
/// remotestorage.js cache would hold), and, for a writer, its own documents. All apps of a user
/// sync the same module folder; each writer writes its own subfolder <c>w&lt;app&gt;/</c>.
/// </summary>
internal sealed class App(int index, int user, string userName, string authorization, int instance, bool writer, bool streaming, int docsPerWriter)
{
    public int Index { get; } = index;

    public int User { get; } = user;

    public string UserName { get; } = userName;

    /// <summary>"Bearer …", shared by the user's apps (one grant per user in this bench).</summary>
    public string Authorization { get; } = authorization;

    /// <summary>The instance it talks to now; moves to the next one when its instance is unreachable.</summary>
    public int Instance { get; set; } = instance;

    public bool Writer { get; } = writer;

    /// <summary>Holds a change stream (else it polls).</summary>
    public bool Streaming { get; } = streaming;

    // --- Sync state (remotestorage.js's cache, reduced to versions). Guarded by Lock. ---
    public Lock Lock { get; } = new();

    public string? RootETag { get; set; }

    /// <summary>Writer app index -> the version of its subfolder last listed.</summary>
    public Dictionary<int, string> Subfolders { get; } = [];

    /// <summary>Document key (writer × docs + k) -> version known.</summary>
    public Dictionary<long, string> Docs { get; } = [];

    /// <summary>1 while a poll or full sync runs.</summary>
    public int Syncing;

    // --- Writer state. ---
    public int Writing;

    public int NextDoc;

    public long WriteSeq;

    public string?[] OwnETags { get; } = writer ? new string?[docsPerWriter] : [];

    /// <summary>A write to this document ended without a clear answer: read it before writing again.</summary>
    public bool[] Uncertain { get; } = writer ? new bool[docsPerWriter] : [];

    // --- Stream state. ---
    public string? LastEventId { get; set; }

    public SseParser? Parser { get; set; }

    public Socket? Socket { get; set; }

    /// <summary>When the bytes being parsed arrived (Clock.NowMs).</summary>
    public double ReceivedMs { get; set; }

    public bool StreamOpen { get; set; }

    /// <summary>The server's <c>retry:</c> hint in ms, 0 when none.</summary>
    public int RetryMs { get; set; }
}
