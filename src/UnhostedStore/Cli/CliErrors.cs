namespace UnhostedStore.Cli;

/// <summary>A mistake of the operator's (unknown user, invalid scope …): message, exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>A malformed command line: message and usage text, exit code 2.</summary>
public sealed class CliUsageException(string message) : Exception(message);
