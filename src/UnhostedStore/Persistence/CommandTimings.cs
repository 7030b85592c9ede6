using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace UnhostedStore.Persistence;

/// <summary>
/// Where the duration of every metadata database command goes. The composition root points it
/// at the metrics; this room only measures, so it knows nothing of how the figures are kept.
/// </summary>
public sealed class DatabaseCommandTimings(Action<TimeSpan> record)
{
    public static readonly DatabaseCommandTimings None = new(static _ => { });

    public void Record(TimeSpan duration) => record(duration);
}

/// <summary>Times every metadata command EF Core runs (EF Core reports the duration).</summary>
internal sealed class CommandTimingInterceptor(DatabaseCommandTimings timings) : DbCommandInterceptor
{
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        timings.Record(eventData.Duration);
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        timings.Record(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        timings.Record(eventData.Duration);
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        timings.Record(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        timings.Record(eventData.Duration);
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        timings.Record(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) => timings.Record(eventData.Duration);

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        timings.Record(eventData.Duration);
        return Task.CompletedTask;
    }
}
