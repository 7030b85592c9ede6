using System.Globalization;
using System.Net;

namespace SyncSim;

/// <summary>The command line of <c>run</c>; bench/sync.sh passes everything explicitly.</summary>
internal sealed class SimOptions
{
    public string Mode { get; set; } = "polling";

    public int Apps { get; set; } = 1000;

    public int Users { get; set; }

    public double WritesPerSecond { get; set; } = 500;

    /// <summary>Share of apps that write (the others only sync).</summary>
    public double WriterShare { get; set; } = 0.1;

    /// <summary>Seconds measured, after the warm-up.</summary>
    public int Duration { get; set; } = 60;

    public int Warmup { get; set; } = 15;

    public int PollIntervalSeconds { get; set; } = 10;

    /// <summary>Documents each writer app cycles through (so writes are mostly updates with If-Match).</summary>
    public int DocsPerWriter { get; set; } = 16;

    /// <summary>Base URLs of the server instances, e.g. http://127.0.0.1:5000.</summary>
    public List<Uri> Servers { get; } = [];

    public string TokensFile { get; set; } = string.Empty;

    /// <summary>The module all apps of one run sync; fresh per run, so every run starts empty.</summary>
    public string Module { get; set; } = "sim";

    /// <summary>Loopback source addresses 127.0.0.2 … 127.0.0.(1+n) for client sockets.</summary>
    public int SourceAddresses { get; set; } = 32;

    /// <summary>Stream connections being opened at once (the rest wait), so the listen backlog never overflows.</summary>
    public int ConnectConcurrency { get; set; } = 200;

    public List<(string Name, string PidFile)> ServerPidFiles { get; } = [];

    public int ClockTicks { get; set; } = 100;

    public string Deployment { get; set; } = "embedded";

    public bool Chaos { get; set; }

    /// <summary>Lines "unix-ms TAB what" the script appends while it kills and restarts things.</summary>
    public string? ChaosEventsFile { get; set; }

    /// <summary>Created when the measured window starts (the script starts its chaos then).</summary>
    public string? ReadyFile { get; set; }

    public string Out { get; set; } = "sync-run.md";

    /// <summary>One TSV line per target judged by this run, for the script's summary.</summary>
    public string? TargetsFile { get; set; }

    public int RequestTimeoutSeconds { get; set; } = 30;

    /// <summary>Some apps hold streams: all in mode streams, those of odd-numbered users in mode mixed.</summary>
    public bool AnyStreams => Mode is "streams" or "mixed";

    /// <summary>Some apps poll: all in mode polling, those of even-numbered users in mode mixed.</summary>
    public bool AnyPolls => Mode is "polling" or "mixed";

    public bool StreamsFor(int user) => Mode == "streams" || (Mode == "mixed" && user % 2 == 1);

    public static SimOptions Parse(string[] args)
    {
        var o = new SimOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
            double Dbl() => double.Parse(Next(), CultureInfo.InvariantCulture);
            switch (name)
            {
                case "--mode": o.Mode = Next(); break;
                case "--apps": o.Apps = Int(); break;
                case "--users": o.Users = Int(); break;
                case "--writes-per-sec": o.WritesPerSecond = Dbl(); break;
                case "--writer-share": o.WriterShare = Dbl(); break;
                case "--duration": o.Duration = Int(); break;
                case "--warmup": o.Warmup = Int(); break;
                case "--poll-interval": o.PollIntervalSeconds = Int(); break;
                case "--docs-per-writer": o.DocsPerWriter = Int(); break;
                case "--server": o.Servers.Add(new Uri(Next())); break;
                case "--tokens": o.TokensFile = Next(); break;
                case "--module": o.Module = Next(); break;
                case "--source-addresses": o.SourceAddresses = Int(); break;
                case "--connect-concurrency": o.ConnectConcurrency = Int(); break;
                case "--server-pidfile":
                    var pair = Next().Split('=', 2);
                    o.ServerPidFiles.Add((pair[0], pair[1]));
                    break;
                case "--clk-tck": o.ClockTicks = Int(); break;
                case "--deployment": o.Deployment = Next(); break;
                case "--chaos": o.Chaos = true; break;
                case "--chaos-events": o.ChaosEventsFile = Next(); break;
                case "--ready-file": o.ReadyFile = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--targets": o.TargetsFile = Next(); break;
                case "--request-timeout": o.RequestTimeoutSeconds = Int(); break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }

        if (o.Mode is not ("polling" or "streams" or "mixed"))
        {
            throw new ArgumentException("--mode is polling, streams or mixed");
        }

        if (o.Users <= 0)
        {
            o.Users = Math.Max(1, o.Apps / 10);
        }

        if (o.Servers.Count == 0 || string.IsNullOrEmpty(o.TokensFile))
        {
            throw new ArgumentException("--server (one or more) and --tokens are required");
        }

        return o;
    }

    public IPAddress SourceAddress(int i) => new(new byte[] { 127, 0, 0, (byte)(2 + (i % SourceAddresses)) });
}
