namespace UnhostedStore.Accounts.Activity;

public static class AuditServices
{
    /// <summary>The audit log: the recorder every room calls, its reader, and the retention job
    /// (<c>Accounts:AuditRetentionDays</c>).</summary>
    public static IServiceCollection AddAuditLog(this IServiceCollection services)
    {
        services.AddSingleton<AuditTrail>();
        services.AddScoped<AuditLog>();
        services.AddScoped<AuditRetention>();
        services.AddHostedService<AuditRetentionJob>();
        return services;
    }
}
