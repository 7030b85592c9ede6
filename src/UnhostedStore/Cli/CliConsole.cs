namespace UnhostedStore.Cli;

/// <summary>
/// The streams a command talks through. stdout carries only the command's result, so scripts can
/// capture it; everything for the operator's eyes (errors, progress) goes to stderr.
/// </summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    public static CliConsole System => new(Console.In, Console.Out, Console.Error);

    /// <summary>Settings laid over appsettings.json and the environment, as the server's own
    /// command line would be: for a caller that runs commands inside its own process, whose
    /// environment is not the store's.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; init; } = new Dictionary<string, string?>();
}
