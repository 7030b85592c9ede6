using UnhostedStore.Pages.Text;
using UnhostedStore.Previews;
using UnhostedStore.Sharing;
using UnhostedStore.Storage;

namespace UnhostedStore.Pages.Shares;

/// <summary>What a share page shows.</summary>
public enum ShareView
{
    Unknown,
    TooMany,
    Gone,
    BadPath,
    Missing,
    Password,
    Document,
    Folder,
}

/// <summary>The breadcrumbs of a page; the last is the page itself when it is a folder.
/// <paramref name="Label"/> names the navigation for screen readers (a share's folders when null).</summary>
public sealed record ShareCrumbTrail(IReadOnlyList<ShareCrumb> Crumbs, bool LastIsCurrent, string? Label = null);

/// <summary>What the preview of one document shows (<c>Pages/Shared/_DocumentPreview.cshtml</c>):
/// a picture, a player, the start of its text, or only the offer to download it.</summary>
public sealed record DocumentPreview(ShareItem Document, TextPreview? Text);

/// <summary>One step of the way from the shared folder down to what is shown.</summary>
public sealed record ShareCrumb(string Name, string Url);

/// <summary>One document or folder as a listing page shows it (a share page: every URL stays
/// inside the link; the file browser: its own addresses).</summary>
public sealed record ShareItem(string Name, string PageUrl, string RawUrl, string ThumbUrl, PreviewKind Kind, string ContentType, long Size, DateTime ModifiedUtc)
{
    public string SizeText => Words.Size(Size);

    public string Modified => Words.When(ModifiedUtc, string.Empty);

    public string KindText => Words.Get(Kind switch
    {
        PreviewKind.Image => "Kind_Image",
        PreviewKind.Audio => "Kind_Audio",
        PreviewKind.Video => "Kind_Video",
        PreviewKind.Text => "Kind_Text",
        PreviewKind.Json => "Kind_Json",
        _ => "Kind_Other",
    });
}

public static class ShareItems
{
    public static ShareItem Of(string token, StoragePath root, StoragePath path, string? contentType, long size, DateTime modifiedUtc)
    {
        var page = SharePaths.Url(token, root, path);
        return new ShareItem(path.Name.TrimEnd('/'), page, page + "?handler=raw", page + "?handler=thumb", PreviewKinds.Of(contentType), contentType ?? string.Empty, size, modifiedUtc);
    }

    /// <summary>The shared folder, then each folder down to <paramref name="path"/>'s parent
    /// (or to <paramref name="path"/> itself when it is a folder); nothing above the share's root.</summary>
    public static IReadOnlyList<ShareCrumb> Crumbs(string token, StoragePath root, StoragePath path)
    {
        if (!root.IsFolder)
        {
            return [];
        }

        var crumbs = new List<ShareCrumb>();
        foreach (var folder in path.Ancestors().Append(path))
        {
            if (folder.IsFolder && folder.Value.Length >= root.Value.Length)
            {
                crumbs.Add(new ShareCrumb(folder.IsRoot ? Words.Of<ShareText>()["Crumbs_SharedFolder"] : folder.Name.TrimEnd('/'), SharePaths.Url(token, root, folder)));
            }
        }

        return crumbs;
    }
}
