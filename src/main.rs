//! `videocall`: entry point. Parses the command line, runs the command, and turns any failure
//! into one line on stderr and its exit code.

mod call;
mod config;
mod demo;
mod error;
mod fuzz;
mod media;
mod quality;
mod rate;
mod relay;
mod rtp;
mod security;
mod stats;

use std::process::ExitCode;

use clap::Parser;

use crate::call::{Peer, PeerPlan};
use crate::config::cli::{CallArgs, Cli, Command, MediaArgs};
use crate::config::validate::is_local_address;
use crate::error::AppResult;
use crate::media::plan::{AudioSettings, VideoSettings};

/// Every element a call may make: checked up front so a missing plugin is one clear line.
const REQUIRED_ELEMENTS: &[&str] = &[
    "rtpbin",
    "udpsrc",
    "udpsink",
    "videotestsrc",
    "audiotestsrc",
    "x264enc",
    "rtph264pay",
    "rtph264depay",
    "avdec_h264",
    "avenc_aac",
    "rtpmp4gpay",
    "rtpmp4gdepay",
    "aacparse",
    "avdec_aac",
    "audioconvert",
    "fakesink",
];

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("videocall: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIDEOCALL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match run(cli.command.unwrap_or(Command::Call(cli.call))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("videocall: {e}");
            e.exit_code()
        }
    }
}

fn run(command: Command) -> AppResult<()> {
    match command {
        Command::Call(args) => run_call(&args),
        Command::Demo(args) => run_demo(&args.media),
        Command::Relay(args) => run_relay(&args),
        Command::Fuzz(args) => fuzz::run(&args),
    }
}

fn run_call(args: &CallArgs) -> AppResult<()> {
    let options = args.media.options()?;
    let stdin = std::io::stdin();
    let endpoints = config::prompt::collect_endpoints(
        &args.given(),
        !args.no_prompt,
        &mut stdin.lock(),
        &mut std::io::stdout(),
        &is_local_address,
    )?;
    let security =
        args.media
            .security
            .resolve(!args.no_prompt, &mut stdin.lock(), &mut std::io::stdout())?;
    check_elements(&security)?;
    let plan = peer_plan(None, endpoints, &args.media, &security)?;
    let peer = Peer::build(&plan)?;
    eprintln!(
        "videocall: {}; {}; RTP to {} (video {}, audio {}), receiving on {} (video {}, audio {})",
        plan.media.describe(),
        describe_security(&security),
        endpoints.remote_ip,
        endpoints.video.dest_rtp,
        endpoints.audio.dest_rtp,
        endpoints.local_ip,
        endpoints.video.recv_rtp,
        endpoints.audio.recv_rtp
    );
    warn_if_plain(&security);
    call::run(vec![peer], &options)
}

fn run_demo(media_args: &MediaArgs) -> AppResult<()> {
    let options = media_args.options()?;
    let security =
        media_args
            .security
            .resolve(false, &mut std::io::empty(), &mut std::io::sink())?;
    check_elements(&security)?;
    let base = demo::free_port_block(std::net::Ipv4Addr::LOCALHOST.into(), 8)?;
    let (a, b) = demo::loopback_pair(base);
    let plans = [
        peer_plan(Some("A"), a, media_args, &security)?,
        peer_plan(Some("B"), b, media_args, &security)?,
    ];
    eprintln!(
        "videocall demo: peers A and B on 127.0.0.1, ports {base}-{}; {}; {}; Ctrl-C ends it",
        base + 7,
        plans[0].media.describe(),
        describe_security(&security)
    );
    let peers = plans
        .iter()
        .map(Peer::build)
        .collect::<AppResult<Vec<_>>>()?;
    warn_if_plain(&security);
    call::run(peers, &options)
}

fn run_relay(args: &relay::args::RelayArgs) -> AppResult<()> {
    let plan = args.plan()?;
    let mut options = MediaArgs::default().options()?;
    options.duration = args.duration()?;
    media::build::init_and_check(&["udpsrc", "netsim", "udpsink"])?;
    let relay = relay::Relay::build(&plan)?;
    eprintln!(
        "videocall relay: on {} ports {}-{}; A to B: {}; B to A: {}",
        plan.listen_ip,
        plan.base,
        plan.base + 7,
        plan.a_to_b.describe(),
        plan.b_to_a.describe()
    );
    eprintln!("  peer A: videocall call {}", plan.peer_flags(false));
    eprintln!("  peer B: videocall call {}", plan.peer_flags(true));
    call::run_with_relay(Vec::new(), Some(relay), &options)
}

/// Checks the plugins, and the SRTP suite when the call is encrypted.
fn check_elements(security: &security::PeerSecurity) -> AppResult<()> {
    media::build::init_and_check(REQUIRED_ELEMENTS)?;
    if let Some((suite, _)) = &security.srtp {
        media::build::init_and_check(&["srtpenc", "srtpdec"])?;
        security::srtp::check_suite(*suite)?;
    }
    Ok(())
}

/// The one-line warning of an unencrypted call, once it is about to start.
fn warn_if_plain(security: &security::PeerSecurity) {
    if security.srtp.is_none() {
        eprintln!(
            "videocall: warning: no passphrase: media goes as plain RTP that anyone on the path can watch"
        );
    }
}

/// The banner's word on protection (never the passphrase or keys).
fn describe_security(security: &security::PeerSecurity) -> String {
    let who = if security.accept_any_source {
        "from any address"
    } else {
        "from the peer's address only"
    };
    match &security.srtp {
        Some((suite, _)) => format!("SRTP {}, {who}", suite.name()),
        None => format!("plain RTP, {who}"),
    }
}

fn peer_plan(
    label: Option<&str>,
    endpoints: config::Endpoints,
    media_args: &MediaArgs,
    security: &security::PeerSecurity,
) -> AppResult<PeerPlan> {
    let options = media_args.options()?;
    Ok(PeerPlan {
        label: label.map(String::from),
        endpoints,
        media: media::probe::resolve(
            &options.video_source,
            options.audio_source,
            options.video_sink,
            options.audio_sink,
        )?,
        video: VideoSettings::default(),
        audio: AudioSettings::default(),
        jitter_buffer: options.jitter_buffer,
        resilience: options.resilience,
        security: security.clone(),
    })
}
