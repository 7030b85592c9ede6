using FluentValidation;

namespace UnhostedStore.Telemetry;

public enum LogFormat
{
    /// <summary>One human-readable line (or two) per message: <c>dotnet run</c> and Development.</summary>
    Simple,

    /// <summary>One JSON object per line, for log collectors (the container image sets this).</summary>
    Json,
}

/// <summary>Configuration section <c>Logging</c> (besides ASP.NET Core's own <c>Logging:LogLevel:*</c>).</summary>
public sealed class LoggingOptions
{
    public const string Section = "Logging";

    /// <summary><c>Logging:Format</c>: <c>Simple</c> (default) or <c>Json</c> console logs.</summary>
    public LogFormat Format { get; set; } = LogFormat.Simple;
}

/// <summary>
/// Configuration section <c>Metrics</c>: Prometheus <c>/metrics</c>. It is served only when
/// protected: by a bearer token, by a port of its own, or both; with neither it does not exist.
/// </summary>
public sealed class MetricsOptions
{
    public const string Section = "Metrics";

    /// <summary><c>Metrics:Token</c>: scrapers must send <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public string? Token { get; set; }

    /// <summary><c>Metrics:Port</c>: an extra listening port that serves <c>/metrics</c>, and
    /// only it (the main port answers 404 there).</summary>
    public int? Port { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(Token) || Port is not null;
}

public sealed class MetricsOptionsValidator : AbstractValidator<MetricsOptions>
{
    public MetricsOptionsValidator()
    {
        RuleFor(o => o.Port).InclusiveBetween(1, 65535).When(o => o.Port is not null).WithName("Metrics:Port");
        RuleFor(o => o.Token).MinimumLength(16).When(o => !string.IsNullOrEmpty(o.Token))
            .WithMessage("Metrics:Token must be at least 16 characters long.");
    }
}
