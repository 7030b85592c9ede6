namespace UnhostedStore.Sharing;

public static class SharingServices
{
    /// <summary>Share links: the links, the gate every <c>/s/…</c> request passes, password cookies.</summary>
    public static IServiceCollection AddSharing(this IServiceCollection services)
    {
        services.AddScoped<ShareLinks>();
        services.AddScoped<ShareAccess>();
        services.AddSingleton<SharePasswordCookies>();
        return services;
    }
}
