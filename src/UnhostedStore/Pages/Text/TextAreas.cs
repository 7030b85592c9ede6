namespace UnhostedStore.Pages.Text;

// One resource class per area of the pages keeps the number of resource files small: each
// marker names <c>Pages/Text/&lt;Name&gt;.resx</c> (English, the default) and
// <c>&lt;Name&gt;.de.resx</c> (German). Views inject <c>IHtmlLocalizer&lt;Area&gt;</c>, so a
// value may hold inline markup (its arguments are HTML-encoded); page models inject
// <c>IStringLocalizer&lt;Area&gt;</c>.

/// <summary>The layout, the language switch, and words every page uses (sizes, counts, dates).</summary>
public sealed class SiteText;

/// <summary>The file browser (<c>/files</c>) and the previews it shares with share pages.</summary>
public sealed class FilesText;

/// <summary>History and trash (<c>/account/history</c>).</summary>
public sealed class HistoryPagesText;

/// <summary>Share links: the public share pages and the owner's list of links.</summary>
public sealed class ShareText;

/// <summary>Account pages: security, sign-in steps, export, import, moving in, deletion.</summary>
public sealed class AccountText;

/// <summary>The OAuth consent page.</summary>
public sealed class ConsentText;

/// <summary>The audit log's pages: one's own activity and the administrators' log.</summary>
public sealed class AuditText;

/// <summary>The administrators' pages (<c>/admin</c>).</summary>
public sealed class AdminText;
