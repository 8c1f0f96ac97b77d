//! Pure maths of the bench: turns the two peers' observations, their statistics lines and
//! their OS resource usage into the figures of the report. No I/O, unit-tested.

use serde::Serialize;

use crate::meters::click::PERIOD_MS;
use crate::meters::pattern::Summary;
use crate::meters::probe::Event;
use videocall_core::stats::Snapshot;

/// Length of a bit-rate window: the children report statistics at this interval.
pub const WINDOW_S: f64 = 5.0;

/// What the OS says one peer process used.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Usage {
    /// User + system CPU time, seconds.
    pub cpu_s: f64,
    /// The process's lifetime, seconds.
    pub wall_s: f64,
    /// Peak resident set size, KiB.
    pub max_rss_kib: u64,
}

/// What the bench takes from one statistics line of a peer: received payload bit rates over
/// the interval ending at `elapsed_s`, the video counters since the call started (cumulative,
/// so the scorecard can take rates and loss over any span between two lines), and the rate
/// this peer's own encoder was set to.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StatsLine {
    pub elapsed_s: f64,
    pub video_bps: f64,
    pub audio_bps: f64,
    /// Received video RTP payload octets.
    pub video_octets: u64,
    pub video_packets_received: u64,
    pub video_packets_lost: u64,
    /// Our video encoder's target (with rate adaptation).
    pub send_target_kbps: Option<u32>,
}

impl From<&Snapshot> for StatsLine {
    fn from(snap: &Snapshot) -> StatsLine {
        StatsLine {
            elapsed_s: snap.elapsed_s,
            video_bps: snap.video.bitrate_bps,
            audio_bps: snap.audio.bitrate_bps,
            video_octets: snap.video.octets_received,
            video_packets_received: snap.video.packets_received,
            video_packets_lost: snap.video.packets_lost,
            send_target_kbps: snap.video.send_target_kbps,
        }
    }
}

/// Everything measured about one peer process.
#[derive(Debug, Clone, Default)]
pub struct PeerRun {
    pub label: String,
    pub events: Vec<Event>,
    pub stats: Vec<StatsLine>,
    pub usage: Usage,
    /// The summary of the peer's `--quality-log` (frames it rendered from 2 s after its start).
    pub quality: Option<Summary>,
}

/// Capture-to-render latency of the video a peer received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct VideoLatency {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
    /// Rendered frames whose stamp could not be read, as a share of rendered frames.
    pub unreadable_share: Option<f64>,
}

/// Capture-to-playout latency of the clicks a peer received.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AudioLatency {
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Clicks heard and paired with a sent click.
    pub clicks: usize,
}

/// The figures of one peer: what it received (latency, first frame, bit rates, frames) and
/// what it cost (CPU, memory).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeerResult {
    pub peer: String,
    pub receives_from: String,
    pub video_latency_ms: VideoLatency,
    pub audio_latency_ms: AudioLatency,
    /// Audio latency p50 − video latency p50: positive when sound plays after the picture of
    /// the same capture instant.
    pub av_offset_ms: Option<f64>,
    /// From the second peer's start to this peer's first rendered frame.
    pub first_frame_ms: Option<f64>,
    /// From the second peer's start to this peer's first played audio.
    pub first_audio_ms: Option<f64>,
    /// CPU time over lifetime, as % of one core.
    pub cpu_percent: f64,
    pub peak_rss_mb: f64,
    /// Received video payload bit rate per full 5 s window.
    pub video_bitrate_bps: Vec<f64>,
    pub audio_bitrate_bps: Vec<f64>,
    /// Frames the other peer captured while both were up, except those of the last
    /// [`IN_FLIGHT_US`]: at hang-up they are still on their way, not lost.
    pub frames_sent: u64,
    /// Of those frames, the ones rendered.
    pub frames_rendered: u64,
    /// `frames_rendered / frames_sent`.
    pub frames_rendered_share: Option<f64>,
    /// Share of rendered frames whose luma PSNR against the frame as sent is ≥ 30 dB (from
    /// the quality log: frames rendered from 2 s after this peer started).
    pub frames_intact_share: Option<f64>,
    /// Sum of the gaps > 200 ms between rendered frames (quality log, same frames).
    pub frozen_ms: Option<f64>,
    pub longest_freeze_ms: Option<f64>,
    /// The longest stretch of missing or silent audio playout once audio had started, while
    /// both peers were up (gaps under `gap::MIN_GAP_MS` count as 0).
    pub longest_audio_gap_ms: Option<f64>,
}

/// Nearest-rank percentile of unsorted values.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn ms(us: i128) -> f64 {
    us as f64 / 1000.0
}

fn first_time(events: &[Event], pick: impl Fn(&Event) -> Option<u64>) -> Option<u64> {
    events.iter().find_map(pick)
}

/// Frames captured this close to the end of the call are not counted as sent or rendered: the
/// jitter buffer alone may hold a frame for up to `latency::MAX_MS`.
pub const IN_FLIGHT_US: u64 = 1_000_000;

/// Frames captured within `window` (µs) that the receiver rendered; a frame whose stamp could
/// not be read counts by the time it was rendered.
fn rendered_within(events: &[Event], window: (u64, u64)) -> u64 {
    let within = |t: u64| (window.0..=window.1).contains(&t);
    events
        .iter()
        .filter(
            |e| matches!(**e, Event::VideoRendered { t, capture } if within(capture.unwrap_or(t))),
        )
        .count() as u64
}

/// Video latencies (ms) and the unreadable count of a receiver's rendered frames.
fn video_latencies(events: &[Event]) -> (Vec<f64>, u64, u64) {
    let (mut lat, mut unreadable, mut rendered) = (Vec::new(), 0, 0);
    for e in events {
        if let Event::VideoRendered { t, capture } = *e {
            rendered += 1;
            match capture {
                Some(c) => lat.push(ms(i128::from(t) - i128::from(c))),
                None => unreadable += 1,
            }
        }
    }
    (lat, unreadable, rendered)
}

/// Pairs each heard click with the latest click sent before it.
fn audio_latencies(sender: &[Event], receiver: &[Event]) -> Vec<f64> {
    let mut sent: Vec<u64> = sender
        .iter()
        .filter_map(|e| match e {
            Event::AudioSent { t } => Some(*t),
            _ => None,
        })
        .collect();
    sent.sort_unstable();
    receiver
        .iter()
        .filter_map(|e| match e {
            Event::AudioHeard { t } => Some(*t),
            _ => None,
        })
        .filter_map(|heard| {
            let idx = sent.partition_point(|s| *s <= heard).checked_sub(1)?;
            let lat = heard - sent[idx];
            (lat < PERIOD_MS * 1000).then(|| ms(i128::from(lat)))
        })
        .collect()
}

/// Bit rates of the full windows (a shorter last report is left out).
fn windows(stats: &[StatsLine], pick: impl Fn(&StatsLine) -> f64) -> Vec<f64> {
    let mut prev = 0.0;
    let mut out = Vec::new();
    for line in stats {
        if line.elapsed_s - prev >= WINDOW_S * 0.9 {
            out.push(pick(line).round());
        }
        prev = line.elapsed_s;
    }
    out
}

fn result(
    receiver: &PeerRun,
    sender: &PeerRun,
    second_start_us: u64,
    span: (u64, u64),
) -> PeerResult {
    let (lat, unreadable, rendered) = video_latencies(&receiver.events);
    let audio = audio_latencies(&sender.events, &receiver.events);
    let since_start = |t: u64| ms(i128::from(t) - i128::from(second_start_us));
    let video_p50 = percentile(&lat, 0.5);
    let audio_p50 = percentile(&audio, 0.5);
    let counted = (span.0, span.1.saturating_sub(IN_FLIGHT_US));
    let frames_sent = sender
        .events
        .iter()
        .filter(|e| matches!(e, Event::VideoSent { t } if (counted.0..=counted.1).contains(t)))
        .count() as u64;
    let frames_rendered = rendered_within(&receiver.events, counted);
    PeerResult {
        peer: receiver.label.clone(),
        receives_from: sender.label.clone(),
        video_latency_ms: VideoLatency {
            p50: video_p50,
            p95: percentile(&lat, 0.95),
            max: percentile(&lat, 1.0),
            unreadable_share: (rendered > 0).then(|| unreadable as f64 / rendered as f64),
        },
        audio_latency_ms: AudioLatency {
            p50: audio_p50,
            p95: percentile(&audio, 0.95),
            clicks: audio.len(),
        },
        av_offset_ms: audio_p50.zip(video_p50).map(|(a, v)| a - v),
        first_frame_ms: first_time(&receiver.events, |e| match e {
            Event::VideoRendered { t, .. } => Some(*t),
            _ => None,
        })
        .map(since_start),
        first_audio_ms: first_time(&receiver.events, |e| match e {
            Event::AudioFirst { t } => Some(*t),
            _ => None,
        })
        .map(since_start),
        cpu_percent: if receiver.usage.wall_s > 0.0 {
            100.0 * receiver.usage.cpu_s / receiver.usage.wall_s
        } else {
            0.0
        },
        peak_rss_mb: receiver.usage.max_rss_kib as f64 / 1024.0,
        video_bitrate_bps: windows(&receiver.stats, |l| l.video_bps),
        audio_bitrate_bps: windows(&receiver.stats, |l| l.audio_bps),
        frames_sent,
        frames_rendered,
        frames_rendered_share: (frames_sent > 0)
            .then(|| frames_rendered as f64 / frames_sent as f64),
        frames_intact_share: receiver.quality.map(|q| q.intact_share),
        frozen_ms: receiver.quality.map(|q| q.frozen_ms),
        longest_freeze_ms: receiver.quality.map(|q| q.longest_freeze_ms),
        longest_audio_gap_ms: longest_audio_gap(&receiver.events, span),
    }
}

/// The longest audio gap that ended within `span`; 0 when audio played without one, `None`
/// when no audio played at all.
fn longest_audio_gap(events: &[Event], span: (u64, u64)) -> Option<f64> {
    first_time(events, |e| match e {
        Event::AudioFirst { t } => Some(*t),
        _ => None,
    })?;
    Some(
        events
            .iter()
            .filter_map(|e| match *e {
                Event::AudioGap { t, ms } if (span.0..=span.1).contains(&t) => Some(ms),
                _ => None,
            })
            .fold(0.0, f64::max),
    )
}

/// A peer's `Up` time (wall-clock µs), if it came up.
pub fn up_time(run: &PeerRun) -> Option<u64> {
    first_time(&run.events, |e| match e {
        Event::Up { t } => Some(*t),
        _ => None,
    })
}

/// While both peers were up (wall-clock µs): from the second peer's `Up` (its start at
/// `second_start_us` if it never came up) to the first `End`.
pub fn call_span(first: &PeerRun, second: &PeerRun, second_start_us: u64) -> (u64, u64) {
    let up = up_time(second).unwrap_or(second_start_us);
    let end = |run: &PeerRun| {
        first_time(&run.events, |e| match e {
            Event::End { t } => Some(*t),
            _ => None,
        })
        .unwrap_or(u64::MAX)
    };
    (up, end(first).min(end(second)))
}

/// The figures of both peers. `first` was started first, `second` when `first` was up, at
/// `second_start_us`. Frames count as sent while both peers were up.
pub fn analyze(first: &PeerRun, second: &PeerRun, second_start_us: u64) -> [PeerResult; 2] {
    let span = call_span(first, second, second_start_us);
    [
        result(first, second, second_start_us, span),
        result(second, first, second_start_us, span),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(label: &str, events: Vec<Event>) -> PeerRun {
        PeerRun {
            label: label.into(),
            events,
            stats: vec![],
            usage: Usage {
                cpu_s: 1.0,
                wall_s: 10.0,
                max_rss_kib: 51_200,
            },
            quality: None,
        }
    }

    #[test]
    fn frames_still_in_flight_at_hang_up_are_not_counted() {
        let sent = |t| Event::VideoSent { t };
        let rendered = |t, capture| Event::VideoRendered { t, capture };
        let a = run(
            "A",
            vec![
                Event::Up { t: 0 },
                sent(1_000_000),
                sent(2_000_000),
                sent(4_500_000),
                Event::End { t: 5_000_000 },
            ],
        );
        let b = run(
            "B",
            vec![
                Event::Up { t: 0 },
                rendered(1_100_000, Some(1_000_000)),
                // Unreadable, rendered in time: counted by its render time.
                rendered(2_100_000, None),
                Event::End { t: 5_000_000 },
            ],
        );
        let [_, rb] = analyze(&a, &b, 0);
        assert_eq!((rb.frames_sent, rb.frames_rendered), (2, 2));
        assert_eq!(rb.frames_rendered_share, Some(1.0));
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.95), Some(95.0));
        assert_eq!(percentile(&v, 1.0), Some(100.0));
        assert_eq!(percentile(&[7.0], 0.95), Some(7.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn latencies_first_times_and_costs_come_from_the_events() {
        let a = run(
            "A",
            vec![
                Event::Up { t: 1_000_000 },
                Event::VideoSent { t: 1_000_000 },
                Event::VideoSent { t: 2_100_000 },
                Event::VideoSent { t: 2_140_000 },
                Event::AudioSent { t: 2_000_000 },
                Event::AudioSent { t: 3_000_000 },
                Event::VideoRendered {
                    t: 2_300_000,
                    capture: Some(2_260_000),
                },
                Event::VideoRendered {
                    t: 2_340_000,
                    capture: None,
                },
                Event::End { t: 4_000_000 },
            ],
        );
        let b = run(
            "B",
            vec![
                Event::Up { t: 2_050_000 },
                Event::VideoRendered {
                    t: 2_150_000,
                    capture: Some(2_100_000),
                },
                Event::VideoRendered {
                    t: 2_200_000,
                    capture: Some(2_140_000),
                },
                Event::AudioFirst { t: 2_120_000 },
                Event::AudioHeard { t: 3_090_000 },
                Event::AudioGap {
                    t: 1_500_000,
                    ms: 500.0,
                },
                Event::AudioGap {
                    t: 3_200_000,
                    ms: 45.0,
                },
                Event::AudioGap {
                    t: 3_300_000,
                    ms: 30.0,
                },
                Event::End { t: 3_900_000 },
            ],
        );
        let mut b = b;
        b.quality = Some(Summary {
            frames: 40,
            intact_share: 0.9,
            frozen_ms: 300.0,
            longest_freeze_ms: 250.0,
        });
        let [ra, rb] = analyze(&a, &b, 2_000_000);
        assert_eq!(rb.peer, "B");
        assert_eq!(rb.video_latency_ms.p50, Some(50.0));
        assert_eq!(rb.video_latency_ms.max, Some(60.0));
        assert_eq!(rb.audio_latency_ms.p50, Some(90.0));
        assert_eq!(rb.av_offset_ms, Some(40.0));
        assert_eq!(rb.first_frame_ms, Some(150.0));
        assert_eq!(rb.first_audio_ms, Some(120.0));
        assert_eq!(rb.frames_sent, 2, "only frames captured once B was up");
        assert_eq!(rb.frames_rendered, 2);
        assert_eq!(rb.frames_rendered_share, Some(1.0));
        assert_eq!(rb.frames_intact_share, Some(0.9));
        assert_eq!(rb.frozen_ms, Some(300.0));
        assert_eq!(rb.longest_freeze_ms, Some(250.0));
        assert_eq!(
            rb.longest_audio_gap_ms,
            Some(45.0),
            "gaps before both peers were up do not count"
        );
        assert_eq!(ra.longest_audio_gap_ms, None, "A played no audio");
        assert_eq!(ra.frames_intact_share, None);
        assert_eq!(ra.video_latency_ms.unreadable_share, Some(0.5));
        assert_eq!(ra.audio_latency_ms.clicks, 0);
        assert_eq!(ra.cpu_percent, 10.0);
        assert_eq!(ra.peak_rss_mb, 50.0);
    }

    #[test]
    fn only_full_windows_count() {
        let line = |elapsed_s, video_bps| StatsLine {
            elapsed_s,
            video_bps,
            audio_bps: 64_000.0,
            ..StatsLine::default()
        };
        let stats = [line(5.0, 1.0e6), line(10.0, 2.0e6), line(10.7, 9.0e6)];
        assert_eq!(windows(&stats, |l| l.video_bps), vec![1.0e6, 2.0e6]);
    }
}
