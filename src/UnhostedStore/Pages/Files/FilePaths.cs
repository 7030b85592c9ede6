using Microsoft.Extensions.Localization;
using UnhostedStore.Pages.Shares;
using UnhostedStore.Pages.Text;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Files;

/// <summary>
/// The file browser's addresses. A storage path travels in the <c>path</c> query parameter as
/// readable text (<c>/files?path=/music/a%20song.mp3</c>): each name percent-encoded, the
/// <c>/</c> between names kept. What arrives is decoded by the server once; it is then
/// re-encoded name by name and parsed by <see cref="StoragePath.TryParse"/>, so the page accepts
/// exactly the paths the storage API does (no empty names, <c>.</c>, <c>..</c> or NUL).
/// </summary>
public static class FilePaths
{
    /// <summary>Who wrote a version stored through these pages (<c>StorageNodes.ModifiedBy</c>).</summary>
    public const string AppLabel = "Files page";

    public const string Home = "/files";

    private static IStringLocalizer Texts => Words.Of<FilesText>();

    /// <summary>The path in a query (already decoded), or the root when there is none.</summary>
    public static StoragePath? Parse(string? decoded, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(decoded))
        {
            return StoragePath.Root;
        }

        if (decoded[0] != '/')
        {
            error = Texts["Path_NoSlash"];
            return null;
        }

        var encoded = string.Join('/', decoded.Split('/').Select(Uri.EscapeDataString));
        var parsed = StoragePath.TryParse(encoded, out var path);
        if (!parsed.Success)
        {
            error = parsed.IsTooLong ? Texts["Path_TooLong"] : Texts["Path_Invalid"];
            return null;
        }

        return path;
    }

    /// <summary>The path for a query: each name percent-encoded, the slashes kept.</summary>
    public static string Encode(StoragePath path) => string.Join('/', path.Value.Split('/').Select(Uri.EscapeDataString));

    public static string Browse(StoragePath folder) => folder.IsRoot ? Home : Home + "?path=" + Encode(folder);

    public static string Preview(StoragePath document) => Home + "/preview?path=" + Encode(document);

    /// <summary>A document's bytes; <paramref name="download"/> makes them an attachment.</summary>
    public static string Bytes(StoragePath document, bool download = false) =>
        Home + "/bytes?path=" + Encode(document) + (download ? "&download=1" : string.Empty);

    /// <summary>A thumbnail; the version in the address lets a new version load at once.</summary>
    public static string Thumb(StoragePath document, string etag) =>
        Home + "/bytes?handler=thumb&path=" + Encode(document) + "&v=" + Uri.EscapeDataString(etag);

    public static string Zip(StoragePath folder) => Home + "/bytes?handler=zip&path=" + Encode(folder);

    public static string Delete(StoragePath path) => Home + "/delete?path=" + Encode(path);

    /// <summary>The share-link form, filled in with this path.</summary>
    public static string Share(StoragePath path) => "/account/shares?path=" + Uri.EscapeDataString(path.Value);

    /// <summary>The name a person reads: without the folder's trailing slash.</summary>
    public static string NameOf(StoragePath path) => path.IsRoot ? Texts["Crumbs_AllFiles"] : path.Name.TrimEnd('/');

    /// <summary>"All files", then each folder down to <paramref name="path"/> (a folder) or its parent.</summary>
    public static ShareCrumbTrail Crumbs(StoragePath path)
    {
        var folders = path.Ancestors().Append(path).Where(p => p.IsFolder);
        return new ShareCrumbTrail(folders.Select(f => new ShareCrumb(NameOf(f), Browse(f))).ToList(), path.IsFolder, Texts["Crumbs_Label"]);
    }

    /// <summary>Who wrote a version, as a row shows it: an app's host (its origin is the
    /// tooltip), a label such as "import" as it is, or "—" when nobody was recorded.</summary>
    public static (string Text, string? Title) WrittenBy(string? modifiedBy)
    {
        if (string.IsNullOrEmpty(modifiedBy))
        {
            return ("—", Texts["WrittenBy_NotRecorded"]);
        }

        // Our own label is stored in English, like an app's origin; it is shown in the page's language.
        if (modifiedBy == AppLabel)
        {
            return (Texts["WrittenBy_FilesPage"], null);
        }

        if (Uri.TryCreate(modifiedBy, UriKind.Absolute, out var origin) && origin.Scheme is "http" or "https" && origin.Host.Length > 0)
        {
            return (origin.IsDefaultPort ? origin.Host : origin.Host + ":" + origin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), modifiedBy);
        }

        return (modifiedBy, null);
    }
}
