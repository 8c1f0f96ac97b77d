//! Real calls replayed through the adapter. Each trace is what one peer's collector read at
//! every tick of a call (`--record-samples`, recorded by `scripts/record-traces.sh` with the
//! default settings): a clean loopback demo, a call through the relay at 2 % loss with 20–40 ms
//! of delay each way, and one whose video was capped at 1000 kbit/s from 4 to 12 s. The tests
//! assert what the adapter must do on such a call, and that the replay takes the decisions the
//! live call took (the encoder's bit rate each sample read back).

use super::*;
use crate::config::RateControl;
use crate::config::cli::DEFAULT_JITTER_BUFFER_MS;
use crate::config::resilience::Resilience;
use crate::plan::media::VideoSettings;
use crate::plan::rate::video_rate_limits;
use crate::stats::{RawSample, RecordedSample};

const CLEAN: &str = include_str!("../../../../tests/data/trace-clean.jsonl");
const LOSS_2PC: &str = include_str!("../../../../tests/data/trace-loss-2pc.jsonl");
const CAP_1000: &str = include_str!("../../../../tests/data/trace-cap-1000.jsonl");

fn samples(trace: &str) -> Vec<RecordedSample> {
    trace
        .lines()
        .map(|line| serde_json::from_str(line).expect("a recorded sample"))
        .collect()
}

/// The settings of a call with the defaults, as the traces were recorded: with the loss-based
/// rate controller, which the delay-based one falls back to without transport-wide feedback
/// (the traces hold receiver reports only).
fn default_settings() -> AdaptSettings {
    let resilience = Resilience::default();
    AdaptSettings {
        rate_control: RateControl::Loss,
        limits: video_rate_limits(&VideoSettings::default()),
        latency: (resilience.rtx && resilience.adaptive_jitter_buffer).then_some(LatencySettings {
            base_ms: DEFAULT_JITTER_BUFFER_MS as u32,
            repair_hold: resilience.repair_hold,
        }),
        audio_red: resilience.audio_red,
        probe_bursts: false,
    }
}

/// What the adapter decided at each tick of a replay.
struct Replay {
    start: StartLatency,
    ticks: Vec<(f64, Vec<Action>)>,
}

impl Replay {
    fn run(samples: &[RecordedSample], settings: &AdaptSettings) -> Replay {
        let mut adapter = Adapter::new(settings);
        let start = adapter.start_latency().expect("the latency adapts");
        let ticks = samples
            .iter()
            .map(|s| (s.now, adapter.tick(&s.sample, s.now)))
            .collect();
        Replay { start, ticks }
    }

    fn actions(&self) -> impl Iterator<Item = (f64, &Action)> {
        self.ticks
            .iter()
            .flat_map(|(now, actions)| actions.iter().map(move |a| (*now, a)))
    }

    /// (when, ms, hold) of every latency change.
    fn latencies(&self) -> Vec<(f64, u32, u32)> {
        self.actions()
            .filter_map(|(t, a)| match a {
                Action::SetLatency { ms, hold_ms } => Some((t, *ms, *hold_ms)),
                _ => None,
            })
            .collect()
    }

    /// (when, kbit/s) of every bit-rate change.
    fn rates(&self) -> Vec<(f64, u32)> {
        self.actions()
            .filter_map(|(t, a)| match a {
                Action::SetVideoBitrate { kbps } => Some((t, *kbps)),
                _ => None,
            })
            .collect()
    }

    /// (when, on) of every redundancy switch.
    fn redundancy(&self) -> Vec<(f64, bool)> {
        self.actions()
            .filter_map(|(t, a)| match a {
                Action::SetRedundancy { on } => Some((t, *on)),
                _ => None,
            })
            .collect()
    }

    fn lines(&self) -> Vec<&str> {
        self.actions()
            .filter_map(|(_, a)| match a {
                Action::Tell(line) => Some(line.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// The replay sets the encoder as the live call did: each sample reads back the bit rate the
/// adapter set at the tick before.
fn assert_replay_matches_the_call(samples: &[RecordedSample], replay: &Replay) {
    let mut target = samples[0].sample.video.send_target_kbps;
    assert!(target.is_some(), "the trace has the encoder's bit rate");
    for (i, (now, actions)) in replay.ticks.iter().enumerate() {
        if let Some(recorded) = samples.get(i).and_then(|s| s.sample.video.send_target_kbps) {
            assert_eq!(Some(recorded), target, "at {now:.2} s");
        }
        for action in actions {
            if let Action::SetVideoBitrate { kbps } = action {
                target = Some(*kbps);
            }
        }
    }
}

/// When `pick` (a cumulative loss count) first exceeded both zero and its first reading.
fn first_reported_loss(samples: &[RecordedSample], pick: fn(&RawSample) -> Option<i64>) -> f64 {
    let base = samples.iter().find_map(|s| pick(&s.sample)).unwrap_or(0);
    samples
        .iter()
        .find(|s| pick(&s.sample).is_some_and(|lost| lost > base.max(0)))
        .map(|s| s.now)
        .expect("the peer reported losses")
}

#[test]
fn a_clean_call_keeps_its_rate_and_the_jitter_buffer_at_its_floor() {
    let samples = samples(CLEAN);
    assert!(samples.len() >= 30, "about 20 s of ticks");
    let settings = default_settings();
    let replay = Replay::run(&samples, &settings);
    assert_replay_matches_the_call(&samples, &replay);
    assert!(replay.rates().is_empty(), "no bit-rate change");
    // The floor from the start and for good: nothing to repair. Video may wait for a late
    // repair from the start, longer until the first round trip is known.
    let base = settings.latency.unwrap().base_ms;
    assert_eq!(replay.start.ms, base);
    let latencies = replay.latencies();
    assert_eq!(latencies.len(), 1, "{latencies:?}");
    let (settled_at, ms, hold_ms) = latencies[0];
    assert!(settled_at <= 2.0, "settled at {settled_at} s");
    assert_eq!(ms, base, "the floor");
    assert!(
        hold_ms > 0 && hold_ms < replay.start.hold_ms,
        "{hold_ms} ms once the round trip is known, from {}",
        replay.start.hold_ms
    );
    assert!(replay.redundancy().is_empty(), "no redundancy");
    assert_eq!(
        replay.lines(),
        ["the peer sends AAC as RFC 3640 mpeg4-generic"]
    );
}

#[test]
fn at_two_percent_loss_the_buffer_waits_for_repairs_the_rate_holds_and_audio_gets_redundancy() {
    let samples = samples(LOSS_2PC);
    let replay = Replay::run(&samples, &default_settings());
    assert_replay_matches_the_call(&samples, &replay);
    assert!(
        replay.rates().is_empty(),
        "random loss is not congestion: {:?}",
        replay.rates()
    );

    // The latency grows once losses show, enough for a resend to arrive within the wait.
    let first_loss = samples
        .iter()
        .find(|s| latency::PathState::from_sample(&s.sample).lost > 0)
        .map(|s| s.now)
        .expect("losses");
    let rtt = samples
        .iter()
        .filter_map(|s| s.sample.video.sources.first()?.rtt_ms)
        .fold(f64::MAX, f64::min);
    assert!(rtt > 30.0, "the relay's delay: {rtt} ms");
    let latencies = replay.latencies();
    let (_, settled, _) = latencies[0];
    let (grown_at, ms, hold_ms) = *latencies
        .iter()
        .find(|(t, ms, _)| *t >= first_loss && *ms > settled)
        .expect("the latency grows");
    assert!(
        f64::from(ms + hold_ms) > rtt,
        "at {grown_at:.1} s video waits {ms} + {hold_ms} ms for a {rtt} ms round trip"
    );
    let (_, last, _) = *latencies.last().unwrap();
    assert!(last >= ms, "still lossy at the end: {latencies:?}");

    // The peer's TOOL says it takes RED: on once our audio loses a packet, and it stays on.
    let audio_lost = |s: &RawSample| s.audio.our_feedback().map(|fb| fb.lost);
    let audio_loss = first_reported_loss(&samples, audio_lost);
    assert!(
        samples.iter().all(|s| s
            .sample
            .audio
            .peer_tool
            .as_deref()
            .is_none_or(red::tool_takes_red)),
        "a videocall peer"
    );
    assert_eq!(replay.redundancy(), [(audio_loss, true)]);

    // A peer that does not say it takes RED never gets it.
    for tool in [None, Some("videocall".to_string())] {
        let without: Vec<RecordedSample> = samples
            .iter()
            .cloned()
            .map(|mut s| {
                s.sample.audio.peer_tool = tool.clone();
                s
            })
            .collect();
        assert!(
            Replay::run(&without, &default_settings())
                .redundancy()
                .is_empty()
        );
    }
    // The encrypted call authenticates all along.
    assert!(samples.iter().all(|s| s.sample.video.srtp.is_some()));
    assert_eq!(
        replay.lines(),
        ["the peer sends AAC as RFC 3640 mpeg4-generic"]
    );
}

#[test]
fn under_a_cap_the_rate_goes_below_it_and_back_up_after() {
    let samples = samples(CAP_1000);
    let settings = default_settings();
    let replay = Replay::run(&samples, &settings);
    assert_replay_matches_the_call(&samples, &replay);
    let rates = replay.rates();
    let cap = 1000;
    let video_lost = |s: &RawSample| s.video.our_feedback().map(|fb| fb.lost);
    let capped_at = first_reported_loss(&samples, video_lost);
    let (under_at, _) = *rates
        .iter()
        .find(|(_, kbps)| *kbps < cap)
        .expect("the rate goes under the cap");
    assert!(
        under_at - capped_at <= 3.0,
        "under the cap {:.1} s after the first loss",
        under_at - capped_at
    );
    let lowest = rates.iter().map(|(_, kbps)| *kbps).min().unwrap();
    assert!(lowest >= settings.limits.min_kbps, "{rates:?}");
    // The cap is lifted at 12 s (relay time): the rate climbs back to the maximum.
    let (back_at, _) = *rates
        .iter()
        .find(|(t, kbps)| *t > under_at && *kbps == settings.limits.max_kbps)
        .expect("back at the maximum");
    assert!(back_at < samples.last().unwrap().now, "{rates:?}");
    assert!(
        rates
            .iter()
            .filter(|(t, _)| *t > under_at)
            .all(|(_, kbps)| *kbps >= lowest),
        "never cut again after the first decrease: {rates:?}"
    );
    assert!(
        replay
            .latencies()
            .iter()
            .all(|(_, ms, _)| *ms <= latency::MAX_MS)
    );
}

#[test]
fn the_peer_watch_looks_every_other_tick() {
    let samples = samples(CLEAN);
    let mut adapter = Adapter::new(&default_settings());
    let told: Vec<usize> = samples
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            adapter
                .tick(&s.sample, s.now)
                .iter()
                .any(|a| matches!(a, Action::Tell(_)))
        })
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(told.len(), 1);
    assert!(told[0].is_multiple_of(2), "tick {}", told[0]);
}
