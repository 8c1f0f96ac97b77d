//! The commands: each turns its arguments into a configuration, plans and builds the peers (or
//! the relay) and hands them to the main loop in `call`.

use videocall_core::call::{self, Peer, PeerPlan};
use videocall_core::config::cli::{CallArgs, MediaArgs};
use videocall_core::config::validate::is_local_address;
use videocall_core::config::{CallConfig, CallOptions, PeerSecurity, VideoSource};
use videocall_core::error::{AppError, AppResult};
use videocall_core::plan::peer::{Found, ReceiveCaps, plan};
use videocall_core::{build, config, demo, doctor, sdp};
use videocall_lab::meters::PeerMeters;
use videocall_lab::{bench, fuzz, relay};

use crate::cli::Command;

/// Runs one command to its end.
pub fn run(command: Command) -> AppResult<()> {
    match command {
        Command::Call(args) => run_call(&args),
        Command::Demo(args) => run_demo(&args.media),
        Command::Fuzz(args) => fuzz::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Relay(args) => run_relay(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Devices(args) => doctor::devices(args.json),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            let mut cli = crate::cli::Cli::command();
            clap_complete::generate(shell, &mut cli, "videocall", &mut script);
            print_bytes(&script)
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut page = Vec::new();
            clap_mangen::Man::new(crate::cli::Cli::command()).render(&mut page)?;
            print_bytes(&page)
        }
    }
}

/// Writes generated text to stdout; a reader that stops early (`| head`) is no error.
fn print_bytes(bytes: &[u8]) -> AppResult<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// Reads `--peer-sdp`: the peer's formats, and the answers it gives (our reception ports and
/// address) where the flags give none.
fn read_peer_sdp(
    args: &CallArgs,
) -> AppResult<(Option<sdp::PeerSdp>, config::prompt::GivenAnswers)> {
    let mut given = args.given();
    let Some(path) = &args.peer_sdp else {
        return Ok((None, given));
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::Input(format!("--peer-sdp: cannot read {}: {e}", path.display())))?;
    let peer = sdp::parse_peer_sdp(&text)
        .map_err(|e| AppError::Input(format!("--peer-sdp {}: {e}", path.display())))?;
    for (slot, media) in [(1, &peer.video), (3, &peer.audio)] {
        if let Some(media) = media {
            if media.rtcp_port != media.port.wrapping_add(1) {
                return Err(AppError::Input(format!(
                    "--peer-sdp {}: RTCP on port {} for RTP on {}: videocall receives RTCP on the RTP port + 1",
                    path.display(),
                    media.rtcp_port,
                    media.port
                )));
            }
            given[slot].get_or_insert(media.port.to_string());
        }
    }
    if let Some(ip) = peer.connection {
        given[4].get_or_insert(ip.to_string());
    }
    Ok((Some(peer), given))
}

fn run_call(args: &CallArgs) -> AppResult<()> {
    let options = args.media.options()?;
    let choice = args.media.security.choice();
    choice.check(args.sdp.is_some())?;
    build::element::init_gstreamer()?;
    // Unless the call is surely plain, load SRTP now, beside the prompts, probes and planning.
    let suite_check = (!choice.insecure).then(|| build::srtp::SuiteCheck::start(choice.suite));
    let save_to = args.file.save_path()?;
    let (peer_sdp, given) = read_peer_sdp(args)?;
    let stdin = std::io::stdin();
    let endpoints = config::prompt::collect_endpoints_with_defaults(
        &given,
        &args.file.prompt_defaults,
        !args.no_prompt,
        &mut stdin.lock(),
        &mut std::io::stdout(),
        &is_local_address,
    )?;
    if let (Some(path), Some(name)) = (&save_to, &args.file.save_profile) {
        config::config_file::save_profile(path, name, &endpoints)?;
        eprintln!(
            "videocall: saved as profile {name} in {} (videocall call --profile {name})",
            path.display()
        );
    }
    let config = CallConfig::new(args, endpoints, options);
    let mut security =
        config
            .protection
            .resolve(!args.no_prompt, &mut stdin.lock(), &mut std::io::stdout())?;
    take_peer_keys(&mut security, peer_sdp.as_ref(), args)?;
    let receive_caps = match &peer_sdp {
        Some(peer_sdp) => ReceiveCaps {
            video: peer_sdp.video.as_ref().map(|m| m.caps.clone()),
            audio: peer_sdp.audio.as_ref().map(|m| m.caps.clone()),
        },
        None => ReceiveCaps::default(),
    };
    let found = Found {
        media: probe_media(&config.options)?,
        security,
        receive_caps,
    };
    let plan = plan(None, &config, found);
    check_elements(&plan, suite_check)?;
    let peer = Peer::build(&plan)?;
    if let Some(path) = &config.sdp_out {
        call::sdp_out::write_when_negotiated(
            peer.pipeline(),
            path.clone(),
            endpoints,
            plan.security.sdes.clone(),
        );
    }
    let meters = attach_meters(&peer, &plan, &config.options, config.bench_probe.as_deref())?;
    let summary = describe_call(&plan);
    eprintln!("videocall: {summary}");
    let mut peer = peer;
    peer.summary = Some(summary);
    warn_if_plain(&plan.security);
    warn_if_sdes(&plan.security, config.sdp_out.as_deref());
    let mut options = config.options.clone();
    report_about(
        &mut options,
        vec![
            ("Peer".into(), endpoints.remote_ip.to_string()),
            (
                "Addresses".into(),
                format!(
                    "{} (video {}, audio {}) → {} (video {}, audio {})",
                    endpoints.local_ip,
                    endpoints.video.recv_rtp,
                    endpoints.audio.recv_rtp,
                    endpoints.remote_ip,
                    endpoints.video.dest_rtp,
                    endpoints.audio.dest_rtp
                ),
            ),
            ("Media".into(), plan.media.describe()),
            ("Encryption".into(), describe_security(&plan.security)),
        ],
    );
    let result = call::run(vec![peer], &options);
    meters.finish()?;
    result
}

fn run_demo(media_args: &MediaArgs) -> AppResult<()> {
    let options = media_args.options()?;
    let protection = media_args.security.choice();
    protection.check(false)?;
    let security = protection.resolve(false, &mut std::io::empty(), &mut std::io::sink())?;
    build::element::init_gstreamer()?;
    let suite_check = security
        .srtp
        .as_ref()
        .map(|(suite, _)| build::srtp::SuiteCheck::start(*suite));
    let media = probe_media(&options)?;
    let base = demo::free_port_block(std::net::Ipv4Addr::LOCALHOST.into(), 8)?;
    let (a, b) = config::loopback_pair(base);
    let plans = [("A", a), ("B", b)].map(|(label, endpoints)| {
        let config = CallConfig {
            endpoints,
            options: options.clone(),
            protection: protection.clone(),
            sdp_out: None,
            peer_sdp: None,
            bench_probe: None,
        };
        let found = Found {
            media: media.clone(),
            security: security.clone(),
            receive_caps: ReceiveCaps::default(),
        };
        plan(Some(label), &config, found)
    });
    check_elements(&plans[0], suite_check)?;
    eprintln!(
        "videocall demo: peers A and B on 127.0.0.1, ports {base}-{}; {}; {}; Ctrl-C ends it",
        base + 7,
        plans[0].media.describe(),
        describe_security(&security)
    );
    let peers = plans
        .iter()
        .map(|plan| {
            let mut peer = Peer::build(plan)?;
            peer.summary = Some(describe_call(plan));
            Ok(peer)
        })
        .collect::<AppResult<Vec<_>>>()?;
    let meters = peers
        .iter()
        .zip(&plans)
        .map(|(peer, plan)| attach_meters(peer, plan, &options, None))
        .collect::<AppResult<Vec<_>>>()?;
    warn_if_plain(&security);
    let mut options = options;
    report_about(
        &mut options,
        vec![
            ("Peers".into(), "A and B on this machine".into()),
            (
                "Addresses".into(),
                format!("127.0.0.1, ports {base}-{}", base + 7),
            ),
            ("Media".into(), plans[0].media.describe()),
            ("Encryption".into(), describe_security(&security)),
        ],
    );
    let result = call::run(peers, &options);
    for meters in meters {
        meters.finish()?;
    }
    result
}

/// The devices the options ask for, found on this machine.
fn probe_media(options: &CallOptions) -> AppResult<config::ResolvedMedia> {
    build::probe::resolve(
        &options.video_source,
        options.audio_source.clone(),
        options.video_sink,
        options.audio_sink,
    )
}

/// Checks the plugins the plan needs, and the SRTP suite when the call is encrypted (with the
/// check started earlier, if given).
fn check_elements(plan: &PeerPlan, suite_check: Option<build::srtp::SuiteCheck>) -> AppResult<()> {
    build::element::init_and_check(&plan.required_elements())?;
    if let Some((suite, _)) = &plan.security.srtp {
        match suite_check {
            Some(started) => started.result()?,
            None => build::srtp::check_suite(*suite)?,
        }
        if std::env::var_os("GST_DEBUG").is_some() {
            eprintln!(
                "videocall: warning: GST_DEBUG is set: GStreamer's debug log can print the derived SRTP keys (never the passphrase); do not share it"
            );
        }
    }
    Ok(())
}

/// The lab's meters a peer carries when hidden flags ask for them.
fn attach_meters(
    peer: &Peer,
    plan: &PeerPlan,
    options: &CallOptions,
    bench_probe: Option<&std::path::Path>,
) -> AppResult<PeerMeters> {
    PeerMeters::attach(
        peer.pipeline(),
        plan.label.as_deref(),
        plan.media.video_source == VideoSource::TestPattern,
        options.resilience.quality_log.as_deref(),
        bench_probe,
    )
}

/// The one-line warning of an unencrypted call, once it is about to start.
fn warn_if_plain(security: &PeerSecurity) {
    if security.srtp.is_none() {
        eprintln!(
            "videocall: warning: no passphrase: media goes as plain RTP that anyone on the path can watch"
        );
    }
}

/// With `--sdp-crypto`: the peer's SDES keys from its SDP (`--peer-sdp`), which must be of our
/// suite. Without it, an SDP with keys is refused: only SDES keying takes them.
fn take_peer_keys(
    security: &mut PeerSecurity,
    peer_sdp: Option<&sdp::PeerSdp>,
    args: &CallArgs,
) -> AppResult<()> {
    let Some(peer_sdp) = peer_sdp else {
        return Ok(());
    };
    let path = args
        .peer_sdp
        .as_deref()
        .unwrap_or(std::path::Path::new("-"));
    let crypto = |m: &Option<sdp::IncomingMedia>| m.as_ref().and_then(|m| m.crypto.clone());
    let offered = [
        ("video", crypto(&peer_sdp.video)),
        ("audio", crypto(&peer_sdp.audio)),
    ];
    let Some(keys) = security.sdes.as_mut() else {
        if offered.iter().any(|(_, c)| c.is_some()) {
            return Err(AppError::Input(format!(
                "--peer-sdp {}: the peer's SDP keys its media with SDES a=crypto, which only \
                 --sdp-crypto takes (with a passphrase and --sdp)",
                path.display()
            )));
        }
        return Ok(());
    };
    let suite = keys.suite;
    for ((kind, crypto), session) in offered.into_iter().zip([&mut keys.video, &mut keys.audio]) {
        let Some(crypto) = crypto else { continue };
        if crypto.suite != suite {
            return Err(AppError::Input(format!(
                "--peer-sdp {}: the peer keys its {kind} with {} and --srtp-suite is {}: both \
                 directions take one suite (--srtp-suite {})",
                path.display(),
                crypto.suite.sdes_name(),
                suite.name(),
                crypto.suite.name()
            )));
        }
        session.recv = Some(crypto.key);
    }
    Ok(())
}

/// The lines of an SDES-keyed call (`--sdp-crypto`) once it is about to start: the SDP file
/// holds our key, and which of the peer's streams we cannot decrypt.
fn warn_if_sdes(security: &PeerSecurity, sdp_out: Option<&std::path::Path>) {
    let Some(keys) = &security.sdes else {
        return;
    };
    let file = sdp_out.map_or_else(|| "--sdp".into(), |p| p.display().to_string());
    eprintln!(
        "videocall: warning: --sdp-crypto: the SDP file {file} holds our sending key: anyone who reads it can decrypt what we send"
    );
    let missing: Vec<&str> = [("video", &keys.video), ("audio", &keys.audio)]
        .into_iter()
        .filter(|(_, session)| session.recv.is_none())
        .map(|(kind, _)| kind)
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "videocall: warning: --sdp-crypto: no a=crypto key for the peer's {} (from --peer-sdp): its packets cannot be decrypted",
            missing.join(" and ")
        );
    }
}

/// The lines under the call report's title (`--report`), when there is a report.
fn report_about(options: &mut CallOptions, about: Vec<(String, String)>) {
    if let Some(report) = &mut options.report {
        report.about = about;
    }
}

/// The banner's word on protection (never the passphrase or keys).
/// What a call is: media, protection, where RTP goes and where it is received.
fn describe_call(plan: &PeerPlan) -> String {
    let endpoints = &plan.endpoints;
    format!(
        "{}; {}; RTP to {} (video {}, audio {}), receiving on {} (video {}, audio {})",
        plan.media.describe(),
        describe_security(&plan.security),
        endpoints.remote_ip,
        endpoints.video.dest_rtp,
        endpoints.audio.dest_rtp,
        endpoints.local_ip,
        endpoints.video.recv_rtp,
        endpoints.audio.recv_rtp
    )
}

fn describe_security(security: &PeerSecurity) -> String {
    let who = if security.accept_any_source {
        "from any address"
    } else {
        "from the peer's address only"
    };
    match &security.srtp {
        Some((suite, _)) if security.sdes.is_some() => format!(
            "SRTP {} with SDES keys (ours fresh for this call, in the SDP file; no key exchange), {who}",
            suite.name()
        ),
        Some((suite, _)) => format!(
            "SRTP {} with fresh keys from a passphrase-authenticated exchange, {who}",
            suite.name()
        ),
        None => format!("plain RTP, {who}"),
    }
}

fn run_relay(args: &relay::args::RelayArgs) -> AppResult<()> {
    let plan = args.plan()?;
    let mut options = MediaArgs::default().options()?;
    options.duration = args.duration()?;
    build::element::init_and_check(&plan.required_elements())?;
    let relay = relay::Relay::build(&plan)?;
    eprintln!(
        "videocall relay: on {} {}; A to B: {}; B to A: {}",
        plan.listen_ip,
        plan.ports_text(),
        plan.a_to_b.describe(),
        plan.b_to_a.describe()
    );
    eprintln!("  peer A: videocall call {}", plan.peer_flags(false));
    eprintln!("  peer B: videocall call {}", plan.peer_flags(true));
    call::run_with(Vec::new(), Some(Box::new(relay)), &options)
}
