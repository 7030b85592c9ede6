using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Options;
using UnhostedStore.Configuration;
using UnhostedStore.DataFreedom.Deletion;
using UnhostedStore.DataFreedom.Export;
using UnhostedStore.DataFreedom.Import;

namespace UnhostedStore.DataFreedom;

public static class DataFreedomServices
{
    /// <summary>A person's way out: account deletion with its grace period and the erasure job
    /// (<c>Accounts:DeletionGraceDays</c>, bound with the other account options).</summary>
    public static IServiceCollection AddDataFreedom(this IServiceCollection services)
    {
        services.AddSingleton<DeletionSignal>();
        services.AddScoped<AccountDeletions>();
        services.AddScoped<AccountEraser>();
        services.AddHostedService<AccountDeletionJob>();
        return services;
    }

    /// <summary>The page to upload to.</summary>
    public const string ImportPage = "/Account/Import";

    /// <summary>Import: <c>Import:*</c>, the importer and the jobs the import page runs; the
    /// import page may take uploads up to <c>Import:MaxUploadBytes</c> (spooled to disk by the
    /// form reader, never held in memory).</summary>
    public static IServiceCollection AddDataFreedomImport(this IServiceCollection services)
    {
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section).ValidateWithFluent<ImportOptions, ImportOptionsValidator>();
        services.AddScoped<Importer>();
        services.AddSingleton<ImportJobs>();
        services.AddSingleton<IConfigureOptions<RazorPagesOptions>, ImportPageLimits>();
        return services;
    }

    private sealed class ImportPageLimits(IOptions<ImportOptions> options) : IConfigureOptions<RazorPagesOptions>
    {
        public void Configure(RazorPagesOptions pages)
        {
            var max = options.Value.MaxUploadBytes;

            // Both run before antiforgery reads the form, so they hold for the whole body.
            pages.Conventions.AddPageApplicationModelConvention(ImportPage, model =>
            {
                model.Filters.Add(new RequestSizeLimitAttribute(max + (1024 * 1024)));
                model.Filters.Add(new RequestFormLimitsAttribute { MultipartBodyLengthLimit = max, ValueLengthLimit = 1024 * 1024 });
            });
        }
    }

    /// <summary>Export: <c>DataFreedom:*</c>, the exporter and the <c>/account/export.zip</c> download.</summary>
    public static IServiceCollection AddDataFreedomExport(this IServiceCollection services)
    {
        services.AddOptions<DataFreedomOptions>().BindConfiguration(DataFreedomOptions.Section).ValidateWithFluent<DataFreedomOptions, DataFreedomOptionsValidator>();
        services.AddScoped<AccountExporter>();
        return services;
    }
}
