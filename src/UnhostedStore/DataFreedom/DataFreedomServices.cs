using UnhostedStore.Configuration;
using UnhostedStore.DataFreedom.Export;

namespace UnhostedStore.DataFreedom;

public static class DataFreedomServices
{
    /// <summary>Export: <c>DataFreedom:*</c>, the exporter and the <c>/account/export.zip</c> download.</summary>
    public static IServiceCollection AddDataFreedom(this IServiceCollection services)
    {
        services.AddOptions<DataFreedomOptions>().BindConfiguration(DataFreedomOptions.Section).ValidateWithFluent<DataFreedomOptions, DataFreedomOptionsValidator>();
        services.AddScoped<AccountExporter>();
        return services;
    }
}
