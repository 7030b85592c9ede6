using UnhostedStore.Configuration;

namespace UnhostedStore.Previews;

public static class PreviewServices
{
    /// <summary><c>Previews:*</c>, the thumbnailer and its disk cache.</summary>
    public static IServiceCollection AddPreviews(this IServiceCollection services)
    {
        services.AddOptions<PreviewOptions>().BindConfiguration(PreviewOptions.Section).ValidateWithFluent<PreviewOptions, PreviewOptionsValidator>();
        services.AddSingleton<ThumbnailCache>();
        services.AddSingleton<Thumbnails>();
        return services;
    }
}
