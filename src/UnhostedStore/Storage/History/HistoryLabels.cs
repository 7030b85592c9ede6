namespace UnhostedStore.Storage.History;

/// <summary>
/// Who wrote or replaced a version, when it was not an app with a token (whose origin is
/// recorded instead): the words the account pages and the command line show.
/// </summary>
public static class HistoryLabels
{
    /// <summary>The longest value kept (the column's size); app origins are far shorter.</summary>
    public const int MaxLength = 256;

    public const string AccountPage = "account page";

    public const string CommandLine = "command line";

    public const string Import = "import";

    public const string MoveIn = "move-in";

    public const string Reconcile = "reconcile";

    /// <summary>The value as stored: cut to <see cref="MaxLength"/> characters.</summary>
    public static string? Clip(string? label) => label is { Length: > MaxLength } ? label[..MaxLength] : label;
}
