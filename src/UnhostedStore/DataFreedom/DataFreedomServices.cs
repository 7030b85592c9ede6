using Microsoft.AspNetCore.Http.Features;
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

    /// <summary>The path the import form posts to.</summary>
    public const string ImportPath = "/account/import";

    /// <summary>Import: <c>Import:*</c>, the importer and the jobs the import page runs.</summary>
    public static IServiceCollection AddDataFreedomImport(this IServiceCollection services)
    {
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section).ValidateWithFluent<ImportOptions, ImportOptionsValidator>();
        services.AddScoped<Importer>();
        services.AddSingleton<ImportJobs>();
        return services;
    }

    /// <summary>
    /// Lets the import form's POST carry an archive of up to <c>Import:MaxUploadBytes</c>; every
    /// other request keeps the server's small default. It must run before anything reads the
    /// form: page filters are too late, because antiforgery validation (an authorization
    /// filter) reads the whole form first. The form reader spools files to disk, so memory stays
    /// bounded whatever the size.
    /// </summary>
    public static IApplicationBuilder UseImportUploadLimits(this IApplicationBuilder app)
    {
        var max = app.ApplicationServices.GetRequiredService<IOptions<ImportOptions>>().Value.MaxUploadBytes;
        var form = new FormOptions { MultipartBodyLengthLimit = max, ValueLengthLimit = 1024 * 1024 };
        return app.Use((context, next) =>
        {
            if (HttpMethods.IsPost(context.Request.Method)
                && context.Request.Path.Equals(ImportPath, StringComparison.OrdinalIgnoreCase)
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = max + (1024 * 1024);
                context.Features.Set<IFormFeature>(new FormFeature(context.Request, form));
            }

            return next(context);
        });
    }

    /// <summary>Export: <c>DataFreedom:*</c>, the exporter and the <c>/account/export.zip</c> download.</summary>
    public static IServiceCollection AddDataFreedomExport(this IServiceCollection services)
    {
        services.AddOptions<DataFreedomOptions>().BindConfiguration(DataFreedomOptions.Section).ValidateWithFluent<DataFreedomOptions, DataFreedomOptionsValidator>();
        services.AddScoped<AccountExporter>();
        services.AddScoped<FolderArchive>();
        return services;
    }
}
