using UnhostedStore.Storage.Changes;

namespace UnhostedStore.Storage;

/// <summary>The folder operations (draft-26 §4, §5): listing, change streams, and refusing writes.</summary>
public static class FolderHandlers
{
    public static async Task<StorageOutcome> ListAsync(StorageRequest request)
    {
        if (ChangeStreamEndpoint.IsStreamRequest(request.Context))
        {
            return await ChangeStreamEndpoint.RunAsync(request);
        }

        var recheck = request.Credentials.Recheck;
        var outcome = await request.Services.GetRequiredService<FolderReads>().GetFolderAsync(request.Owner, request.Path, request.Conditions, request.Aborted, recheck);
        return recheck is { StillValid: false } ? StorageAccess.RefuseRevoked(request.Context, request.Credentials) : outcome;
    }

    // draft-26 §5: folders are implicit; PUT and DELETE on them are malformed requests.
    public static Task<StorageOutcome> RefusePutAsync(StorageRequest request) =>
        Task.FromResult<StorageOutcome>(new StorageOutcome.BadRequest("cannot PUT a folder"));

    public static Task<StorageOutcome> RefuseDeleteAsync(StorageRequest request) =>
        Task.FromResult<StorageOutcome>(new StorageOutcome.BadRequest("cannot DELETE a folder"));
}
