//! `videocall bench`: a real two-peer call on this machine, measured. Two processes of this
//! binary call each other over loopback with test sources and headless sinks; their meters
//! (`probe`) stamp capture times into the raw media and read them back at render time, the OS
//! reports their CPU and memory, and `analyze` turns it all into one table and one JSON
//! document. The method is described in docs/benchmarks.md.

pub mod analyze;
#[cfg(test)]
pub mod codec_loop;
pub mod html;
pub mod report;
pub mod runner;
pub mod scorecard;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use self::analyze::{PeerRun, StatsLine};
use self::runner::PeerProcess;
use self::scorecard::Scenario;
use crate::meters::pattern::Summary;
use crate::meters::probe::{Event, wall_us};
use crate::relay::args::ImpairmentArgs;
use videocall_core::config::cli::MediaArgs;
use videocall_core::config::loopback_pair;
use videocall_core::config::{
    AudioSinkChoice, AudioSourceChoice, CallOptions, ProtectionChoice, VideoSinkChoice,
    VideoSourceChoice,
};
use videocall_core::demo::free_port_block;
use videocall_core::error::{AppError, AppResult};
use videocall_core::security::passphrase::ENV_VAR;
use videocall_core::stats::report::ReportLine;

/// How long the bench waits beyond the call for a peer before killing it.
const GRACE: Duration = Duration::from_secs(60);

/// `videocall bench` flags; the media and network flags are those of `call`.
#[derive(Debug, Args)]
#[command(
    after_help = "In the bench, `auto` sources are the test pattern and tone, sinks are \
    always headless, reports come every 5 s (0.5 s with --scorecard), and \
    --duration/--stats-json are refused (use --seconds/--json). Method and JSON shape: \
    docs/benchmarks.md"
)]
pub struct BenchArgs {
    /// Length of the measured call in seconds, from the second peer's start.
    #[arg(long, value_name = "SECONDS", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(2..=3600))]
    pub seconds: u32,
    /// Also write every figure as one JSON document to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Run the congestion scorecard instead of one call: fixed scenarios through the relay
    /// (caps, loss, jitter), one table of how the call adapts to each.
    #[arg(long, conflicts_with_all = ["seconds", "both", "a_to_b", "b_to_a"])]
    pub scorecard: bool,
    /// With --scorecard: run only these scenarios (policed, bottleneck, step, loss, jitter).
    #[arg(
        long,
        value_name = "NAME[,NAME]",
        value_delimiter = ',',
        requires = "scorecard"
    )]
    pub only: Vec<String>,
    /// With --scorecard: the same scenarios with shorter caps and calls (for CI).
    #[arg(long, requires = "scorecard")]
    pub short: bool,
    /// Impairments as for `videocall relay` (A is the peer started first): with any of them the
    /// call goes through a `videocall relay` child (encrypted like any other bench call).
    #[command(flatten)]
    pub network: ImpairmentArgs,
    #[command(flatten)]
    pub media: MediaArgs,
}

/// What both peers share, from the bench's media flags: sources default to the test pattern
/// and tone, sinks must be headless (the meters read at fakesink's handoff); reports, length
/// and meters are the bench's own (`runner::call_args`).
pub fn shared_config(media: &MediaArgs) -> AppResult<(CallOptions, ProtectionChoice)> {
    let mut options = media.options()?;
    if media.duration.is_some() || media.stats_json.is_some() {
        return Err(AppError::Input(
            "bench: use --seconds and --json instead of --duration and --stats-json".into(),
        ));
    }
    if media.resilience.quality_log.is_some() {
        return Err(AppError::Input(
            "bench: --quality-log is the bench's own (its figures are in the table and --json)"
                .into(),
        ));
    }
    if matches!(media.video_sink, VideoSinkChoice::Window)
        || matches!(media.audio_sink, AudioSinkChoice::Speaker)
    {
        return Err(AppError::Input(
            "bench: sinks are headless (--video-sink none --audio-sink none)".into(),
        ));
    }
    if options.video_source == VideoSourceChoice::Auto {
        options.video_source = VideoSourceChoice::Test;
    }
    if options.audio_source == AudioSourceChoice::Auto {
        options.audio_source = AudioSourceChoice::Test;
    }
    options.video_sink = VideoSinkChoice::None;
    options.audio_sink = AudioSinkChoice::None;
    // The bench writes the report page of the call itself (`html`), not its peers.
    options.report = None;
    Ok((options, media.security.choice()))
}

/// How the measured call is protected, and the environment the peers need for it. Like a
/// user's call, the bench's is encrypted unless `--insecure`: without a passphrase file or
/// $VIDEOCALL_PASSPHRASE (which the peers inherit), both get a fresh random passphrase through
/// their environment, never on a command line.
pub fn protection(media: &MediaArgs) -> AppResult<(String, Vec<(String, String)>)> {
    if media.security.insecure {
        return Ok(("plain RTP".into(), Vec::new()));
    }
    let name = format!("SRTP {}", media.security.srtp_suite.name());
    let have_env = std::env::var(ENV_VAR).is_ok_and(|v| !v.is_empty());
    if media.security.passphrase_file.is_some() || have_env {
        return Ok((name, Vec::new()));
    }
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(|e| AppError::Media(format!("bench: cannot make a passphrase: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok((name, vec![(ENV_VAR.to_string(), hex)]))
}

/// The bench's scratch directory: the peers' logs, meters and statistics. Removed when the
/// bench ends, unless $VIDEOCALL_BENCH_KEEP is set (to read the peers' logs).
struct WorkDir(PathBuf);

impl WorkDir {
    fn create() -> AppResult<WorkDir> {
        let dir = std::env::temp_dir().join(format!("videocall-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(WorkDir(dir))
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if std::env::var_os("VIDEOCALL_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Creates the `--json` file now: an unwritable path fails before any call, not after.
fn create_json(path: Option<&Path>) -> AppResult<Option<std::fs::File>> {
    path.map(|path| {
        std::fs::File::create(path)
            .map_err(|e| AppError::Input(format!("--json: cannot create {}: {e}", path.display())))
    })
    .transpose()
}

fn write_json(file: Option<std::fs::File>, doc: &impl serde::Serialize) -> AppResult<()> {
    if let Some(mut file) = file {
        let text = serde_json::to_string_pretty(doc).expect("the report always serializes");
        file.write_all((text + "\n").as_bytes())?;
    }
    Ok(())
}

/// Runs the bench: prints the table, writes the JSON document when asked.
pub fn run(args: &BenchArgs) -> AppResult<()> {
    if args.scorecard {
        return run_scorecard(args);
    }
    let shared = shared_config(&args.media)?;
    let (protected_as, env) = protection(&args.media)?;
    let network = args.network.any().then_some(&args.network);
    if let Some(network) = network {
        network.directions()?;
    }
    // Frame integrity needs the numbered test pictures, and costs about 2 % of a core per
    // peer (PSNR of every frame): measured only through the relay, where frames get damaged,
    // so a clean run's CPU figure is the call's own.
    let quality = network.is_some()
        && matches!(
            args.media.video_source,
            VideoSourceChoice::Auto | VideoSourceChoice::Test
        );
    let json_file = create_json(args.json.as_deref())?;
    let report_file = args
        .media
        .report
        .as_deref()
        .map(videocall_core::ui::report::create_file)
        .transpose()?;
    let started_unix_s = wall_us() / 1_000_000;
    let dir = WorkDir::create()?;
    let seconds = Duration::from_secs(u64::from(args.seconds));
    let setup = Setup {
        dir: &dir.0,
        shared: &shared,
        env: &env,
        seconds,
        network,
        quality,
        stats_interval: Duration::from_secs_f64(analyze::WINDOW_S),
    };
    let Measured {
        runs,
        second_start_us,
        a_args,
        ..
    } = run_peers(&setup)?;
    let results = analyze::analyze(&runs[0], &runs[1], second_start_us);
    let second_up_ms = runs[1].events.iter().find_map(|e| match e {
        Event::Up { t } => Some((*t as f64 - second_start_us as f64) / 1000.0),
        _ => None,
    });
    let doc = report::Document::new(args, &a_args, &protected_as, second_up_ms, results);
    println!("{}", report::table(&doc));
    if let (Some(mut file), Some(path)) = (report_file, args.media.report.as_deref()) {
        let snapshots = [
            read_snapshots(&runner::stats_path(&dir.0, "A"))?,
            read_snapshots(&runner::stats_path(&dir.0, "B"))?,
        ];
        let page = html::page(&doc, &runs, snapshots, started_unix_s);
        file.write_all(videocall_core::ui::report::render(&page).as_bytes())
            .map_err(|e| videocall_core::ui::report::write_error(path, e))?;
        eprintln!("videocall bench: call report written to {}", path.display());
    }
    write_json(json_file, &doc)
}

/// Runs the congestion scorecard: each chosen scenario is a bench call through the relay
/// (`run_peers`, statistics every 0.5 s); prints one table, writes one JSON document.
fn run_scorecard(args: &BenchArgs) -> AppResult<()> {
    if args.media.report.is_some() {
        return Err(AppError::Input(
            "bench: --report is for one call, not --scorecard".into(),
        ));
    }
    let shared = shared_config(&args.media)?;
    let (_, env) = protection(&args.media)?;
    let chosen =
        scorecard::select(scorecard::scenarios(args.short), &args.only).map_err(AppError::Input)?;
    let quality = matches!(
        args.media.video_source,
        VideoSourceChoice::Auto | VideoSourceChoice::Test
    );
    let json_file = create_json(args.json.as_deref())?;
    let dir = WorkDir::create()?;
    let mut call_args = None;
    let mut scenarios = Vec::new();
    for (i, scenario) in chosen.iter().enumerate() {
        eprintln!(
            "videocall bench --scorecard: {}/{} {}: --both {} for {} s",
            i + 1,
            chosen.len(),
            scenario.name,
            scenario.spec,
            scenario.seconds
        );
        let (result, a_args) = run_scenario(scenario, &dir.0, &shared, &env, quality)
            .map_err(|e| in_scenario(scenario.name, e))?;
        call_args.get_or_insert(a_args);
        scenarios.push(result);
    }
    let argv: Vec<String> = std::env::args().collect();
    let doc = report::Scorecard::new(
        report::ScorecardConfig {
            call_args: call_args.unwrap_or_default(),
            controller: scorecard::controller(&argv),
            short: args.short,
        },
        scenarios,
    );
    println!("{}", report::scorecard_table(&doc));
    write_json(json_file, &doc)
}

/// One scenario of the scorecard, scored, with the arguments its peer A ran with.
fn run_scenario(
    scenario: &Scenario,
    dir: &Path,
    shared: &(CallOptions, ProtectionChoice),
    env: &[(String, String)],
    quality: bool,
) -> AppResult<(scorecard::ScenarioResult, Vec<String>)> {
    let network = ImpairmentArgs {
        both: scenario.spec.clone(),
        ..ImpairmentArgs::default()
    };
    let dir = dir.join(scenario.name);
    std::fs::create_dir_all(&dir)?;
    let setup = Setup {
        dir: &dir,
        shared,
        env,
        seconds: Duration::from_secs(u64::from(scenario.seconds)),
        network: Some(&network),
        quality,
        stats_interval: Duration::from_secs_f64(scorecard::STATS_INTERVAL_S),
    };
    let m = run_peers(&setup)?;
    let relay_start_us = m
        .relay_start_us
        .ok_or_else(|| AppError::Media("the scorecard's relay did not start".into()))?;
    let results = analyze::analyze(&m.runs[0], &m.runs[1], m.second_start_us);
    let timeline = scorecard::timeline(&m.runs[0], &m.runs[1], m.second_start_us, relay_start_us);
    let scored = scorecard::score(scenario, &m.runs, &results, &timeline);
    Ok((scored, m.a_args))
}

/// The same error, naming the scenario it happened in.
fn in_scenario(name: &str, e: AppError) -> AppError {
    let say = |text: String| format!("scorecard scenario {name}: {text}");
    match e {
        AppError::Input(t) => AppError::Input(say(t)),
        AppError::Network(t) => AppError::Network(say(t)),
        AppError::MissingPlugin(t) => AppError::MissingPlugin(say(t)),
        AppError::Media(t) => AppError::Media(say(t)),
        AppError::Io(e) => AppError::Media(say(e.to_string())),
    }
}

/// What the peers are run with.
struct Setup<'a> {
    dir: &'a Path,
    /// The options and protection both peers run with.
    shared: &'a (CallOptions, ProtectionChoice),
    env: &'a [(String, String)],
    seconds: Duration,
    /// The impairments, when the call goes through a relay.
    network: Option<&'a ImpairmentArgs>,
    quality: bool,
    /// How often the peers write a statistics line.
    stats_interval: Duration,
}

/// What one bench call measured.
struct Measured {
    runs: [PeerRun; 2],
    /// When the second peer was started (wall-clock µs).
    second_start_us: u64,
    /// The arguments peer A ran with.
    a_args: Vec<String>,
    /// When the relay's schedule started (wall-clock µs), for a call through the relay.
    relay_start_us: Option<u64>,
}

/// Runs the two peers' call (through a relay child when impaired) and collects what each
/// measured.
fn run_peers(setup: &Setup) -> AppResult<Measured> {
    let Setup { dir, seconds, .. } = *setup;
    let exe = std::env::current_exe()
        .map_err(|e| AppError::Media(format!("bench: cannot find this program: {e}")))?;
    // 16 ports: the peers' 8, then 8 a relay without mirrored ports would take.
    let base = free_port_block(std::net::Ipv4Addr::LOCALHOST.into(), 16)?;
    let (mut a_ends, mut b_ends) = loopback_pair(base);
    let mut relay = None;
    let mut relay_start_us = None;
    if let Some(network) = setup.network {
        let (plan, a, b) = runner::through_relay(&a_ends, &b_ends, base + 8, network)?;
        (a_ends, b_ends) = (a, b);
        eprintln!(
            "videocall bench: through a relay on {} {}; A to B: {}; B to A: {}",
            plan.listen_ip,
            plan.ports_text(),
            plan.a_to_b.describe(),
            plan.b_to_a.describe()
        );
        let relay_args = runner::relay_args(&plan, network, seconds + GRACE + GRACE);
        let mut process = PeerProcess::spawn(&exe, "relay", &relay_args, &[], dir)?;
        relay_start_us = Some(process.wait_relay_ready(GRACE)?);
        relay = Some(process);
    }
    eprintln!(
        "videocall bench: two peers on 127.0.0.1 ports {base}-{}, {} s call",
        base + 7,
        seconds.as_secs(),
    );
    let result = run_pair(setup, &exe, &a_ends, &b_ends);
    if let Some(relay) = relay {
        relay.terminate();
        let relay_done = relay.reap();
        if result.is_ok() {
            relay_done?;
        }
    }
    let (runs, second_start_us, a_args) = result?;
    Ok(Measured {
        runs,
        second_start_us,
        a_args,
        relay_start_us,
    })
}

/// Runs peer A, then peer B once A is up, and loads their measurements.
fn run_pair(
    setup: &Setup,
    exe: &Path,
    a_ends: &videocall_core::config::Endpoints,
    b_ends: &videocall_core::config::Endpoints,
) -> AppResult<([PeerRun; 2], u64, Vec<String>)> {
    let Setup {
        dir,
        shared,
        env,
        seconds,
        quality,
        stats_interval,
        ..
    } = *setup;
    // The first peer runs until the second has finished, then gets SIGTERM like a user's Ctrl-C.
    let args = |ends, label, duration| {
        runner::call_args(ends, shared, dir, label, duration, quality, stats_interval)
    };
    let a_args = args(a_ends, "A", seconds + GRACE);
    let b_args = args(b_ends, "B", seconds);
    let mut a = PeerProcess::spawn(exe, "A", &a_args, env, dir)?;
    let a_watch = runner::watchdog(vec![a.pid()], seconds + GRACE);
    let stop_a = |a: PeerProcess| {
        a.terminate();
        let _ = a.reap();
    };
    if let Err(e) = a.wait_up() {
        stop_a(a);
        return Err(e);
    }
    let second_start_us = wall_us();
    let mut b = match PeerProcess::spawn(exe, "B", &b_args, env, dir) {
        Ok(b) => b,
        Err(e) => {
            stop_a(a);
            return Err(e);
        }
    };
    let b_watch = runner::watchdog(vec![b.pid()], seconds + GRACE);
    let b_up = b.wait_up();
    let b_usage = b.reap();
    a.terminate();
    let a_usage = a.reap();
    drop((a_watch, b_watch));
    b_up?;
    let (a_usage, b_usage) = (a_usage?, b_usage?);

    let load = |label: &str, usage| -> AppResult<PeerRun> {
        Ok(PeerRun {
            label: label.into(),
            events: read_events(&runner::probe_path(dir, label))?,
            stats: read_stats(&runner::stats_path(dir, label))?,
            usage,
            quality: if quality {
                Some(read_quality(&runner::quality_path(dir, label))?)
            } else {
                None
            },
        })
    };
    Ok((
        [load("A", a_usage)?, load("B", b_usage)?],
        second_start_us,
        a_args,
    ))
}

/// The summary line a peer's quality log ends with.
fn read_quality(path: &Path) -> AppResult<Summary> {
    let summary = read_lines(path)?.iter().rev().find_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        let s = v.get("summary")?;
        Some(Summary {
            frames: s["frames"].as_u64()? as usize,
            intact_share: s["intact_share"].as_f64()?,
            frozen_ms: s["frozen_ms"].as_f64()?,
            longest_freeze_ms: s["longest_freeze_ms"].as_f64()?,
        })
    });
    summary.ok_or_else(|| AppError::Media(format!("bench: no summary in {}", path.display())))
}

fn read_lines(path: &Path) -> AppResult<Vec<String>> {
    let file = std::fs::File::open(path)
        .map_err(|e| AppError::Media(format!("bench: peer wrote no {}: {e}", path.display())))?;
    Ok(BufReader::new(file).lines().collect::<Result<_, _>>()?)
}

fn read_events(path: &Path) -> AppResult<Vec<Event>> {
    read_lines(path)?
        .iter()
        .map(|l| {
            serde_json::from_str(l)
                .map_err(|e| AppError::Media(format!("bench: bad line in {}: {e}", path.display())))
        })
        .collect()
}

/// The received bit rates from a peer's `--stats-json` lines (`stats::report::json_line`).
/// A peer's statistics lines as whole snapshots (for the report page).
fn read_snapshots(path: &Path) -> AppResult<Vec<videocall_core::stats::Snapshot>> {
    read_lines(path)?
        .iter()
        .map(|l| {
            serde_json::from_str::<ReportLine>(l)
                .map(|line| line.snapshot)
                .map_err(|e| {
                    AppError::Media(format!(
                        "bench: bad statistics line in {}: {e}",
                        path.display()
                    ))
                })
        })
        .collect()
}

fn read_stats(path: &Path) -> AppResult<Vec<StatsLine>> {
    read_lines(path)?
        .iter()
        .map(|l| {
            let line: ReportLine = serde_json::from_str(l).map_err(|e| {
                AppError::Media(format!(
                    "bench: bad statistics line in {}: {e}",
                    path.display()
                ))
            })?;
            Ok(StatsLine::from(&line.snapshot))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        bench: BenchArgs,
    }

    #[test]
    fn media_options_are_forwarded_and_sinks_forced_headless() {
        let w = Wrap::try_parse_from(["x", "--jitter-buffer-ms", "15", "--seconds", "4"]).unwrap();
        let shared = shared_config(&w.bench.media).unwrap();
        assert_eq!(w.bench.seconds, 4);
        let (a, _) = loopback_pair(30_000);
        let dir = Path::new("/tmp/bench");
        let five = Duration::from_secs(5);
        let joined =
            runner::call_args(&a, &shared, dir, "A", Duration::from_secs(4), false, five).join(" ");
        assert!(joined.contains("--stats-interval 5"), "{joined}");
        assert!(joined.contains("--jitter-buffer-ms 15"), "{joined}");
        assert!(
            joined.contains("--video-source test --audio-source test"),
            "{joined}"
        );
        assert!(
            joined.contains("--video-sink none --audio-sink none"),
            "{joined}"
        );
        assert!(
            joined.contains("--bench-probe /tmp/bench/probe-A.jsonl"),
            "{joined}"
        );
        let w = Wrap::try_parse_from(["x", "--video-sink", "window"]).unwrap();
        assert!(shared_config(&w.bench.media).is_err());
        let w = Wrap::try_parse_from(["x", "--duration", "3"]).unwrap();
        assert!(shared_config(&w.bench.media).is_err());
        let w = Wrap::try_parse_from(["x", "--quality-log", "q"]).unwrap();
        assert!(shared_config(&w.bench.media).is_err());
        let w = Wrap::try_parse_from(["x", "--no-rtx"]).unwrap();
        assert!(!shared_config(&w.bench.media).unwrap().0.resilience.rtx);
        assert!(Wrap::try_parse_from(["x", "--seconds", "1"]).is_err());
    }

    #[test]
    fn the_scorecard_chooses_its_own_length_and_network() {
        let w =
            Wrap::try_parse_from(["x", "--scorecard", "--short", "--only", "loss,jitter"]).unwrap();
        assert!(w.bench.scorecard && w.bench.short);
        assert_eq!(w.bench.only, ["loss", "jitter"]);
        let w = Wrap::try_parse_from(["x", "--scorecard", "--rate-control", "gcc"]).unwrap();
        assert!(
            shared_config(&w.bench.media).is_ok(),
            "media flags go to every run"
        );
        for refused in [
            &["x", "--scorecard", "--seconds", "30"][..],
            &["x", "--scorecard", "--both", "loss=2"],
            &["x", "--scorecard", "--a-to-b", "cap=500"],
            &["x", "--only", "loss"],
            &["x", "--short"],
        ] {
            assert!(Wrap::try_parse_from(refused).is_err(), "{refused:?}");
        }
    }

    #[test]
    fn an_impaired_bench_runs_its_peers_through_a_mirrored_relay_and_keeps_srtp() {
        let w =
            Wrap::try_parse_from(["x", "--passphrase-file", "/tmp/p", "--both", "loss=2"]).unwrap();
        assert!(w.bench.network.any());
        let (_, protection) = shared_config(&w.bench.media).unwrap();
        assert_eq!(protection.passphrase_file, Some("/tmp/p".into()));
        assert!(!protection.insecure);

        let (a0, b0) = loopback_pair(30_000);
        let (plan, a, b) = runner::through_relay(&a0, &b0, 30_008, &w.bench.network).unwrap();
        assert_eq!(plan.a_to_b.loss_pct, 2.0);
        // Each peer sends to the relay and still receives on its own ports.
        let flags = |e: &videocall_core::config::Endpoints| e.to_args().join(" ");
        assert_eq!(flags(&a), plan.peer_flags(false));
        assert_eq!(flags(&b), plan.peer_flags(true));
        // Mirrored: each peer sends to the port its peer receives on, as in a direct call, so
        // both derive the same SRTP keys as they would without the relay.
        assert_eq!(a.video.dest_rtp, b0.video.recv_rtp);
        assert_eq!(b.audio.dest_rtp, a0.audio.recv_rtp);
        assert_eq!(a.remote_ip, std::net::IpAddr::from(runner::RELAY_IP));
        let relay = runner::relay_args(&plan, &w.bench.network, Duration::from_secs(3)).join(" ");
        assert!(
            relay.starts_with("relay --listen-ip 127.0.0.2 --port 30008"),
            "{relay}"
        );
        assert!(
            relay.ends_with("--duration 3.000 --mirror-ports --both loss=2"),
            "{relay}"
        );

        let w = Wrap::try_parse_from(["x", "--b-to-a", "delay=9-1"]).unwrap();
        let (a, b) = loopback_pair(30_000);
        assert!(runner::through_relay(&a, &b, 30_008, &w.bench.network).is_err());
        let w = Wrap::try_parse_from(["x"]).unwrap();
        assert!(!w.bench.network.any());
    }

    #[test]
    fn statistics_lines_are_read_as_the_peers_wrote_them() {
        use videocall_core::stats::Snapshot;
        use videocall_core::stats::report::json_line;
        let mut snap = Snapshot {
            elapsed_s: 5.0,
            ..Snapshot::default()
        };
        snap.video.bitrate_bps = 1.9e6;
        snap.video.fps = Some(25.0);
        snap.video.octets_received = 1_000_000;
        snap.video.packets_received = 900;
        snap.video.packets_lost = 12;
        snap.video.send_target_kbps = Some(1500);
        snap.audio.bitrate_bps = 64_000.0;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.jsonl");
        let lines = [json_line(None, &snap), json_line(Some("A"), &snap)];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let read = read_stats(&path).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(
            read[0],
            StatsLine {
                elapsed_s: 5.0,
                video_bps: 1.9e6,
                audio_bps: 64_000.0,
                video_octets: 1_000_000,
                video_packets_received: 900,
                video_packets_lost: 12,
                send_target_kbps: Some(1500),
            }
        );
        std::fs::write(&path, r#"{"elapsed_s": 1.0}"#).unwrap();
        assert!(read_stats(&path).is_err(), "a line of another shape");
    }
}
