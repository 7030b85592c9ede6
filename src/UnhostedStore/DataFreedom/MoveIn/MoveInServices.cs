namespace UnhostedStore.DataFreedom.MoveIn;

public static class MoveInServices
{
    /// <summary>The outbound client to old servers.</summary>
    public const string ClientName = "move-in";

    /// <summary>
    /// Move-in from another remoteStorage server: discovery, the code exchange, the copier, the background jobs and
    /// the outbound client. The client checks every address it connects to
    /// (<see cref="AddressGuard"/>) and follows no redirects: a redirect would drop the bearer
    /// token anyway, and could point at an internal host.
    /// </summary>
    public static IServiceCollection AddDataFreedomMoveIn(this IServiceCollection services)
    {
        services.AddSingleton<AddressGuard>();
        services.AddSingleton<MoveInDiscovery>();
        services.AddSingleton<MoveInTokenExchange>();
        services.AddScoped<MoveInCopier>();
        services.AddSingleton<MoveInJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<MoveInJobs>());
        services.AddHttpClient(ClientName, client =>
            {
                // Until the headers arrive; bodies have their own deadlines in the copier.
                client.Timeout = TimeSpan.FromSeconds(60);
                client.DefaultRequestHeaders.UserAgent.ParseAdd("UnhostedStore-move-in/1");
            })
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                ConnectCallback = sp.GetRequiredService<AddressGuard>().ConnectAsync,
                AutomaticDecompression = System.Net.DecompressionMethods.None,
            });
        return services;
    }
}
