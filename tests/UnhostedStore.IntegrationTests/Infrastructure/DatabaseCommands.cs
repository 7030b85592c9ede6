using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using UnhostedStore.Storage;

namespace UnhostedStore.IntegrationTests.Infrastructure;

/// <summary>What the metadata database was asked to run.</summary>
public static class DatabaseCommands
{
    /// <summary>Stands in the list for a transaction EF Core began.</summary>
    public const string TransactionStarted = "-- transaction started";

    /// <summary>A write of <paramref name="text"/> at <paramref name="path"/>, inline, without
    /// conditions, to hand to the write path directly.</summary>
    public static PendingPut Put(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return new PendingPut(StoragePath.FromStored(path), RequestConditions.None, "text/plain", bytes.Length, null, bytes);
    }

    /// <summary>The text of every metadata database command <paramref name="run"/> makes (and
    /// <see cref="TransactionStarted"/> for each transaction it begins), told
    /// from other tests' by the async flow they run in (EF Core's diagnostic events are raised
    /// in the flow of the command).</summary>
    public static async Task<List<string>> OfAsync(Func<Task> run)
    {
        using var texts = new CommandTexts();
        using var subscription = DiagnosticListener.AllListeners.Subscribe(texts);
        texts.Counting.Value = true;
        await run();
        texts.Counting.Value = false;
        lock (texts.Texts)
        {
            return [.. texts.Texts];
        }
    }

    private sealed class CommandTexts : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly List<IDisposable> _subscriptions = [];

        public AsyncLocal<bool> Counting { get; } = new();

        public List<string> Texts { get; } = [];

        public void OnNext(DiagnosticListener value)
        {
            if (value.Name == DbLoggerCategory.Name)
            {
                lock (_subscriptions)
                {
                    _subscriptions.Add(value.Subscribe(this));
                }
            }
        }

        public void OnNext(KeyValuePair<string, object?> value)
        {
            var text = !Counting.Value ? null : value.Value switch
            {
                CommandExecutedEventData data when value.Key == RelationalEventId.CommandExecuted.Name => data.Command.CommandText,
                TransactionEndEventData when value.Key == RelationalEventId.TransactionStarted.Name => TransactionStarted,
                _ => null,
            };
            if (text is not null)
            {
                lock (Texts)
                {
                    Texts.Add(text);
                }
            }
        }

        public void Dispose()
        {
            lock (_subscriptions)
            {
                _subscriptions.ForEach(s => s.Dispose());
            }
        }

        public void OnCompleted()
        {
        }

        public void OnError(Exception error)
        {
        }
    }
}
