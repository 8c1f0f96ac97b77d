//! The command line: the commands, and the call's flags when no command is given. Doc comments
//! here are the `--help` text.

use std::ffi::OsString;

use clap::{ArgAction, Parser, Subcommand};
use videocall_core::config::cli::{CallArgs, DemoArgs};

/// Two-way video call over RTP/UDP: H.264 640x480@25 at 2 Mbit/s and AAC 48 kHz stereo at
/// 64 kbit/s, with live connection reports.
///
/// Port convention: RTP goes to the given port and RTCP to the port + 1, in both directions;
/// ports must be even. The peer enters the mirror values: our video destination port is its
/// video reception port, and so on, with the two addresses swapped.
///
/// With no command, `videocall` runs `call` (its flags may be given without the word `call`)
/// and asks for every value not given.
#[derive(Debug, Parser)]
#[command(name = "videocall", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub call: CallArgs,
    /// More log detail on stderr: -v info, -vv debug, -vvv trace (VIDEOCALL_LOG, when set, wins).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less log detail on stderr: -q errors only, -qq nothing.
    #[arg(short, long, action = ArgAction::Count, global = true, conflicts_with = "verbose")]
    pub quiet: u8,
}

impl Cli {
    /// The call's flags, when the command runs or checks a call (`call`, `doctor`, no command).
    pub fn call_args_mut(&mut self) -> Option<&mut CallArgs> {
        match &mut self.command {
            None => Some(&mut self.call),
            Some(Command::Call(args)) | Some(Command::Doctor(args)) => Some(args),
            Some(_) => None,
        }
    }
}

/// `-v`/`-q` given before a command name (`videocall -v demo`) moved after it: the call's flags
/// may stand without a command, so clap takes anything before a command for the call's.
pub fn lift_verbosity(argv: &[OsString], cmd: &clap::Command) -> Vec<OsString> {
    let is_level = |a: &OsString| {
        let a = a.to_string_lossy();
        let repeated =
            |flag: char| a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c == flag);
        a == "--verbose" || a == "--quiet" || repeated('v') || repeated('q')
    };
    let levels = argv.iter().skip(1).take_while(|a| is_level(a)).count();
    let command = argv
        .get(1 + levels)
        .map(|a| a.to_string_lossy().into_owned());
    let is_command = command
        .as_deref()
        .is_some_and(|name| cmd.get_subcommands().any(|s| s.get_name() == name));
    if levels == 0 || !is_command {
        return argv.to_vec();
    }
    let mut out = vec![argv[0].clone(), argv[1 + levels].clone()];
    out.extend_from_slice(&argv[1..1 + levels]);
    out.extend_from_slice(&argv[2 + levels..]);
    out
}

/// The tracing filter for `-v`/`-q` counts: warnings by default, one level per flag.
pub fn log_filter(verbose: u8, quiet: u8) -> &'static str {
    match i16::from(verbose) - i16::from(quiet) {
        ..=-2 => "off",
        -1 => "error",
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Call a peer; values not given as flags are asked for, in the brief's order.
    Call(CallArgs),
    /// Two peers in a call on this machine (loopback, free ports, test sources): try it first.
    Demo(DemoArgs),
    /// Throws malformed datagrams at a running call's ports (robustness testing).
    #[command(hide = true)]
    Fuzz(videocall_lab::fuzz::FuzzArgs),
    /// Measure a real two-process call on loopback: latency, start-up, CPU, memory, bit rates.
    Bench(videocall_lab::bench::BenchArgs),
    /// Relay a call between two peers through an impaired network (loss, jitter, outages…).
    Relay(videocall_lab::relay::args::RelayArgs),
    /// Check that a call with these flags can run here: its GStreamer elements, the devices,
    /// the ports and the local address; each problem comes with the command that fixes it.
    Doctor(CallArgs),
    /// List cameras and microphones with the value to pass to --video-source/--audio-source.
    Devices(DevicesArgs),
    /// Print a shell completion script (e.g. `videocall completions bash > /etc/bash_completion.d/videocall`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from these flags (`videocall man | man -l -`).
    Man,
}

#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use videocall_core::config::{JsonTarget, VideoSourceChoice};

    #[test]
    fn flags_parse_into_answers_and_options() {
        let cli = Cli::try_parse_from([
            "videocall",
            "call",
            "--video-dest-port",
            "5000",
            "--local-ip",
            "::1",
            "--video-source",
            "/dev/video2",
            "--duration",
            "1.5",
            "--stats-json",
            "-",
        ])
        .unwrap();
        let Some(Command::Call(args)) = cli.command else {
            panic!("call expected")
        };
        assert_eq!(args.given()[0].as_deref(), Some("5000"));
        assert_eq!(args.given()[4].as_deref(), Some("::1"));
        let opts = args.media.options().unwrap();
        assert_eq!(
            opts.video_source,
            VideoSourceChoice::Device("/dev/video2".into())
        );
        assert_eq!(opts.duration, Some(Duration::from_millis(1500)));
        assert_eq!(opts.stats_json, Some(JsonTarget::Stdout));
    }

    #[test]
    fn bad_option_values_are_refused() {
        assert!(Cli::try_parse_from(["videocall", "call", "--duration", "0"]).is_err());
        assert!(Cli::try_parse_from(["videocall", "call", "--video-sink", "tv"]).is_err());
        assert!(Cli::try_parse_from(["videocall", "demo", "--stats-interval", "x"]).is_err());
    }

    #[test]
    fn verbosity_flags_move_the_log_level() {
        assert_eq!(log_filter(0, 0), "warn");
        assert_eq!(log_filter(2, 0), "debug");
        assert_eq!(log_filter(9, 0), "trace");
        assert_eq!(log_filter(0, 1), "error");
        assert_eq!(log_filter(0, 2), "off");
        let cli = Cli::try_parse_from(["videocall", "call", "-vv"]).unwrap();
        assert_eq!(cli.verbose, 2);
        let cli = Cli::try_parse_from(["videocall", "-q", "--local-ip", "::1"]).unwrap();
        assert_eq!(cli.quiet, 1);
        assert!(Cli::try_parse_from(["videocall", "-v", "-q"]).is_err());
        use clap::CommandFactory;
        let lift = |args: &[&str]| -> Vec<String> {
            let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
            lift_verbosity(&argv, &Cli::command())
                .into_iter()
                .map(|a| a.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            lift(&["videocall", "-vv", "demo", "--duration", "1"]),
            ["videocall", "demo", "-vv", "--duration", "1"]
        );
        assert_eq!(
            lift(&["videocall", "-q", "--local-ip", "::1"]),
            ["videocall", "-q", "--local-ip", "::1"]
        );
        let lifted = lift(&["videocall", "--verbose", "-v", "doctor"]);
        let cli = Cli::try_parse_from(lifted).unwrap();
        assert_eq!(cli.verbose, 2);
        assert!(matches!(cli.command, Some(Command::Doctor(_))));
    }

    #[test]
    fn completions_and_man_come_from_the_definition() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut Cli::command(),
            "videocall",
            &mut out,
        );
        let script = String::from_utf8(out).unwrap();
        assert!(
            script.contains("--save-profile"),
            "bash script lacks a flag"
        );
        let mut out = Vec::new();
        clap_mangen::Man::new(Cli::command())
            .render(&mut out)
            .unwrap();
        let page = String::from_utf8(out).unwrap();
        assert!(
            page.starts_with(".ie") || page.contains(".TH videocall"),
            "{page}"
        );
    }

    #[test]
    fn no_command_means_call() {
        assert!(
            Cli::try_parse_from(["videocall"])
                .unwrap()
                .command
                .is_none()
        );
        let cli = Cli::try_parse_from(["videocall", "--local-ip", "127.0.0.1"]).unwrap();
        assert_eq!(cli.call.given()[4].as_deref(), Some("127.0.0.1"));
    }
}
