namespace UnhostedStore.DataFreedom.Export;

/// <summary>Which documents an export takes: all, or one module's (<c>&lt;m&gt;/…</c> and
/// <c>public/&lt;m&gt;/…</c>, the two trees a scope for module m covers, draft-26 §9).</summary>
public static class ExportModules
{
    /// <summary>Why <paramref name="module"/> cannot name a module, or null when it can. Any
    /// folder name may be a module (a <c>*</c> token can write anywhere), but not <c>public</c>,
    /// whose tree holds every module's public documents.</summary>
    public static string? Problem(string module) => module switch
    {
        "" => "The module name is empty.",
        "public" => "\"public\" is not a module: public documents are exported with the module they belong to.",
        _ when module.Length > 255 => "The module name is too long.",
        _ when module.Contains('/', StringComparison.Ordinal) => "A module name has no \"/\" in it.",
        _ when module is "." or ".." || module.Any(char.IsControl) => "That is not a module name.",
        _ => null,
    };

    /// <summary>Whether the export goes into <paramref name="childPath"/>, a direct child of
    /// <paramref name="folder"/>; below a taken folder, everything is taken.</summary>
    public static bool Takes(string? module, string folder, string childPath) => module is null || folder switch
    {
        "/" => childPath == "/" + module + "/" || childPath == "/public/",
        "/public/" => childPath == "/public/" + module + "/",
        _ => true,
    };
}
