// The sync simulator of bench/sync.sh (see its header for what it measures):
//   SyncSim provision --users M --out tokens.tsv [--prefix sim] [--parallel P]
//   SyncSim run --mode polling|streams --apps N --server URL [--server URL] --tokens tokens.tsv …
//   SyncSim selftest
using System.Globalization;
using SyncSim;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: SyncSim provision|run|selftest [options] (see bench/sync.sh)");
    return 2;
}

try
{
    switch (args[0])
    {
        case "provision":
            return await Provision.RunAsync(args[1..]);
        case "selftest":
            return SelfTest.Run();
        case "run":
            {
                var options = SimOptions.Parse(args[1..]);
                ThreadPool.GetMinThreads(out var workers, out var io);
                ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount * 4), io);
                using var simulation = new Simulation(options);
                var report = await simulation.RunAsync();
                var markdown = report.ToMarkdown();
                await File.WriteAllTextAsync(options.Out, markdown);
                if (options.TargetsFile is not null)
                {
                    await File.AppendAllTextAsync(options.TargetsFile, report.TargetLines());
                }

                Console.Out.Write(markdown);
                return 0;
            }

        default:
            Console.Error.WriteLine($"unknown command {args[0]}");
            return 2;
    }
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sync-sim: {e.Message}"));
    return 2;
}
