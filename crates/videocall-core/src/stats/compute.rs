//! Pure statistics maths: turns successive raw polls into snapshots. Time is an argument.
//! Repair counters and the send target are the poll's own readings, passed on as they are.
//! Counters are kept per SSRC, so a peer that restarts (new SSRC) adds to the totals instead of
//! resetting them, even after rtpbin forgets the old sender.

use std::collections::BTreeMap;

use super::model::*;

/// Senders remembered one by one per medium. A call has a few (the peer's media and RTX, and
/// again after a restart); past this many, the senders absent from the latest poll are folded
/// into [`Retired`] totals, so a flood of made-up SSRCs cannot grow the state.
pub const MAX_TRACKED_SSRCS: usize = 32;

/// What the folded senders had received, still counted in the totals.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Retired {
    packets: u64,
    octets: u64,
    lost: u64,
    pushed: u64,
}

/// Running state of one medium between polls.
#[derive(Debug, Default, Clone)]
struct MediumState {
    sources: BTreeMap<u32, SourceSample>,
    pushed: BTreeMap<u32, u64>,
    retired: Retired,
    /// The SSRC whose packet count grew most in the last poll (the sender now active, not a
    /// stream with a few stray packets): its jitter is the one reported.
    current: Option<u32>,
    last_rtt_ms: Option<f64>,
    /// (time, octets) of the first poll that saw data: the start of the average.
    start: Option<(f64, u64)>,
    prev_octets: u64,
    prev_rendered: Option<u64>,
    /// Rates of the last interval long enough to measure them.
    last_bitrate_bps: f64,
    last_fps: Option<f64>,
    /// The peer's report about our stream before the latest one, and the loss it showed.
    prev_feedback: Option<Feedback>,
    peer_loss_pct: Option<f64>,
}

/// Intervals shorter than this (e.g. the final report right after a periodic one) keep the
/// previous interval's rates instead of dividing by almost nothing.
const MIN_RATE_WINDOW_S: f64 = 0.1;

impl MediumState {
    /// Past [`MAX_TRACKED_SSRCS`], folds the senders the latest poll no longer shows (and that
    /// are not the current one) into the retired totals.
    fn retire_beyond_cap(&mut self, sample: &MediumSample) {
        if self.sources.len().max(self.pushed.len()) <= MAX_TRACKED_SSRCS {
            return;
        }
        let live = |ssrc: &u32| {
            Some(*ssrc) == self.current
                || sample.sources.iter().any(|s| s.ssrc == *ssrc)
                || sample.pushed.iter().any(|(s, _)| s == ssrc)
        };
        let gone: Vec<u32> = self
            .sources
            .keys()
            .chain(self.pushed.keys())
            .copied()
            .filter(|ssrc| !live(ssrc))
            .collect();
        for ssrc in gone {
            if let Some(s) = self.sources.remove(&ssrc) {
                self.retired.packets += s.packets_received;
                self.retired.octets += s.octets_received;
                self.retired.lost += s.packets_lost.max(0) as u64;
            }
            if let Some(pushed) = self.pushed.remove(&ssrc) {
                self.retired.pushed += pushed;
            }
        }
    }

    fn update(&mut self, sample: &MediumSample, now: f64, dt: Option<f64>) -> StreamStats {
        let growth = |s: &SourceSample, old: Option<&SourceSample>| {
            s.packets_received
                .saturating_sub(old.map_or(0, |o| o.packets_received))
        };
        if let Some(busiest) = sample
            .sources
            .iter()
            .map(|s| (growth(s, self.sources.get(&s.ssrc)), s.ssrc))
            .filter(|(grew, _)| *grew > 0)
            .max()
        {
            self.current = Some(busiest.1);
        }
        for source in &sample.sources {
            if source.rtt_ms.is_some() {
                self.last_rtt_ms = source.rtt_ms;
            }
            self.sources.insert(source.ssrc, source.clone());
        }
        for (ssrc, pushed) in &sample.pushed {
            self.pushed.insert(*ssrc, *pushed);
        }
        self.retire_beyond_cap(sample);
        let packets_received = self.retired.packets
            + self
                .sources
                .values()
                .map(|s| s.packets_received)
                .sum::<u64>();
        let octets: u64 = self.retired.octets
            + self
                .sources
                .values()
                .map(|s| s.octets_received)
                .sum::<u64>();
        let packets_lost = self.retired.lost
            + self
                .sources
                .values()
                .map(|s| s.packets_lost.max(0) as u64)
                .sum::<u64>();
        let jitter_ms = self
            .current
            .and_then(|ssrc| self.sources.get(&ssrc))
            .map_or(0.0, |s| s.jitter_ms);

        let measurable = dt.filter(|dt| *dt >= MIN_RATE_WINDOW_S);
        let bitrate_bps = match measurable {
            Some(dt) => octets.saturating_sub(self.prev_octets) as f64 * 8.0 / dt,
            None => self.last_bitrate_bps,
        };
        if self.start.is_none() && octets > 0 {
            self.start = Some((now, octets));
        }
        let avg_bitrate_bps = match self.start {
            Some((t0, o0)) if now > t0 => (octets - o0) as f64 * 8.0 / (now - t0),
            Some(_) => bitrate_bps,
            None => 0.0,
        };
        let fps = match (sample.rendered, measurable) {
            (Some(r), Some(dt)) => {
                Some(r.saturating_sub(self.prev_rendered.unwrap_or(0)) as f64 / dt)
            }
            (Some(_), None) => Some(self.last_fps.unwrap_or(0.0)),
            _ => None,
        };
        if measurable.is_some() {
            self.prev_octets = octets;
            self.prev_rendered = sample.rendered;
            self.last_bitrate_bps = bitrate_bps;
            self.last_fps = fps;
        }
        StreamStats {
            avg_bitrate_bps,
            bitrate_bps,
            packets_received,
            octets_received: octets,
            jitter_ms,
            packets_pushed: self.retired.pushed + self.pushed.values().sum::<u64>(),
            packets_lost,
            rtt_ms: self.last_rtt_ms,
            packets_rejected: sample.rejected
                + sample.unkeyed
                + sample.srtp.map_or(0, |c| c.dropped),
            packets_unplayable: sample.unplayable,
            frames_rendered: sample.rendered,
            frames_played: sample.played,
            fps,
            rtx_requested: sample.rtx.map(|c| c.requested),
            rtx_repaired: sample.rtx.map(|c| c.repaired),
            fec_recovered: sample.fec_recovered,
            send_target_kbps: sample.send_target_kbps,
            sent: self.sent_report(sample),
        }
    }

    /// Our sender's figures and the peer's latest report about them; the loss share is over the
    /// span between the peer's last two different reports.
    fn sent_report(&mut self, sample: &MediumSample) -> Option<SentReport> {
        let sent = sample.sent?;
        let feedback = sample.our_feedback();
        if let Some(fb) = feedback
            && self
                .prev_feedback
                .is_none_or(|prev| prev.highest_seq != fb.highest_seq)
        {
            if let Some(prev) = self.prev_feedback {
                self.peer_loss_pct = loss_pct(&prev, &fb);
            }
            self.prev_feedback = Some(fb);
        }
        Some(SentReport {
            bitrate_bps: sent.kbps * 1000.0,
            packets_sent: sent.packets,
            peer_packets_lost: feedback.map_or(0, |fb| fb.lost.max(0) as u64),
            peer_loss_pct: self.peer_loss_pct,
        })
    }
}

/// The share of packets lost between two receiver reports, in percent (RFC 3550 §6.4.1:
/// expected from the highest sequence numbers, lost from the cumulative counts); `None` when
/// the second report expects nothing new.
pub fn loss_pct(earlier: &Feedback, later: &Feedback) -> Option<f64> {
    let expected = later.highest_seq.checked_sub(earlier.highest_seq)?;
    if expected == 0 {
        return None;
    }
    let lost = (later.lost - earlier.lost).clamp(0, expected as i64);
    Some(lost as f64 * 100.0 / expected as f64)
}

/// Turns polls into snapshots; one per call peer.
#[derive(Debug, Default, Clone)]
pub struct StatsComputer {
    video: MediumState,
    audio: MediumState,
    prev_time: Option<f64>,
}

impl StatsComputer {
    /// Folds in a poll taken `now` seconds into the call and returns the snapshot.
    pub fn update(&mut self, sample: &RawSample, now: f64) -> Snapshot {
        // The call starts at 0: the first interval runs from there.
        let dt = Some(now - self.prev_time.unwrap_or(0.0));
        self.prev_time = Some(now);
        Snapshot {
            elapsed_s: now,
            video: self.video.update(&sample.video, now, dt),
            audio: self.audio.update(&sample.audio, now, dt),
            key_exchange: sample.exchange.clone(),
            // The running peer knows its controls' state and sets these.
            microphone_muted: false,
            camera_paused: false,
            startup: sample.startup.clone(),
        }
    }
}

/// Round-trip time in milliseconds from rtpbin's `rb-round-trip` (NTP short format, 1/65536 s).
pub fn rtt_ms_from_ntp_short(round_trip: u32) -> f64 {
    round_trip as f64 * 1000.0 / 65536.0
}

/// Interarrival jitter in milliseconds from RTP timestamp units.
pub fn jitter_ms_from_units(jitter: u32, clock_rate: i32) -> f64 {
    if clock_rate <= 0 {
        return 0.0;
    }
    jitter as f64 * 1000.0 / clock_rate as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(ssrc: u32, packets: u64, octets: u64) -> SourceSample {
        SourceSample {
            ssrc,
            packets_received: packets,
            octets_received: octets,
            jitter_ms: ssrc as f64,
            packets_lost: 0,
            rtt_ms: None,
        }
    }

    fn video(sources: Vec<SourceSample>, rendered: u64) -> RawSample {
        RawSample {
            video: MediumSample {
                pushed: sources
                    .iter()
                    .map(|s| (s.ssrc, s.packets_received))
                    .collect(),
                sources,
                rendered: Some(rendered),
                rejected: rendered / 5,
                ..MediumSample::default()
            },
            audio: MediumSample::default(),
            exchange: None,
            startup: StartupStats::default(),
        }
    }

    #[test]
    fn rates_come_from_deltas_and_the_stream_start() {
        let mut c = StatsComputer::default();
        let s0 = c.update(&video(vec![], 0), 1.0);
        assert_eq!(s0.video.avg_bitrate_bps, 0.0);
        assert_eq!(s0.video.fps, Some(0.0));
        let s1 = c.update(&video(vec![source(1, 100, 250_000)], 25), 2.0);
        assert_eq!(
            s1.video.avg_bitrate_bps, 2_000_000.0,
            "first data: the interval's rate"
        );
        assert_eq!(s1.video.fps, Some(25.0));
        let s = c.update(&video(vec![source(1, 300, 750_000)], 75), 4.0);
        assert_eq!(s.video.bitrate_bps, 2_000_000.0);
        assert_eq!(s.video.avg_bitrate_bps, 2_000_000.0);
        assert_eq!(s.video.fps, Some(25.0));
        assert_eq!(s.video.packets_pushed, 300);
        assert_eq!(s.video.packets_rejected, 15);
        assert_eq!(s.audio.frames_rendered, None);
        // A final report right after a periodic one keeps the last interval's rates.
        let end = c.update(&video(vec![source(1, 301, 751_000)], 76), 4.01);
        assert_eq!(end.video.bitrate_bps, 2_000_000.0);
        assert_eq!(end.video.fps, Some(25.0));
        assert_eq!(end.video.octets_received, 751_000);
    }

    #[test]
    fn repair_counters_and_the_send_target_are_reported_when_the_call_has_them() {
        let mut c = StatsComputer::default();
        let plain = c.update(&video(vec![], 0), 1.0);
        assert_eq!(
            (plain.video.rtx_requested, plain.video.fec_recovered),
            (None, None)
        );
        assert_eq!(plain.video.send_target_kbps, None);
        let mut sample = video(vec![], 0);
        sample.video.rtx = Some(RtxCounts {
            requested: 5,
            repaired: 4,
        });
        sample.video.fec_recovered = Some(2);
        sample.video.send_target_kbps = Some(1500);
        sample.audio.rtx = Some(RtxCounts::default());
        let snap = c.update(&sample, 2.0);
        assert_eq!(snap.video.rtx_requested, Some(5));
        assert_eq!(snap.video.rtx_repaired, Some(4));
        assert_eq!(snap.video.fec_recovered, Some(2));
        assert_eq!(snap.video.send_target_kbps, Some(1500));
        assert_eq!(snap.audio.rtx_requested, Some(0));
        assert_eq!(snap.audio.send_target_kbps, None);
    }

    #[test]
    fn a_restarted_sender_adds_to_the_totals() {
        let mut c = StatsComputer::default();
        c.update(&video(vec![source(1, 100, 1000)], 0), 1.0);
        // rtpbin has dropped the old sender; a new one appeared.
        let s = c.update(&video(vec![source(2, 10, 100)], 0), 2.0);
        assert_eq!(s.video.packets_received, 110);
        assert_eq!(s.video.octets_received, 1100);
        assert_eq!(s.video.packets_pushed, 110);
        assert_eq!(
            s.video.jitter_ms, 2.0,
            "jitter of the sender that is active now"
        );
    }

    #[test]
    fn a_flood_of_senders_is_folded_into_the_totals_and_the_state_stays_bounded() {
        let mut c = StatsComputer::default();
        let mut expected = (0, 0);
        // Made-up senders, each seen in one poll only, then the real one.
        for i in 0..200u32 {
            let s = c.update(&video(vec![source(1000 + i, 1, 10)], 0), f64::from(i) * 0.1);
            expected = (expected.0 + 1, expected.1 + 10);
            assert_eq!(
                (s.video.packets_received, s.video.octets_received),
                expected
            );
            assert_eq!(s.video.packets_pushed, expected.0);
        }
        assert!(c.video.sources.len() <= MAX_TRACKED_SSRCS + 1);
        assert!(c.video.pushed.len() <= MAX_TRACKED_SSRCS + 1);
        let s = c.update(&video(vec![source(1, 50, 500)], 0), 21.0);
        assert_eq!(s.video.packets_received, 250);
        assert_eq!(s.video.octets_received, 2500);
        assert_eq!(s.video.jitter_ms, 1.0, "the real sender's jitter");
    }

    #[test]
    fn rtt_is_kept_once_known_and_loss_never_negative() {
        let mut c = StatsComputer::default();
        let mut s = source(1, 10, 10);
        s.rtt_ms = Some(1.5);
        s.packets_lost = -2;
        c.update(&video(vec![s], 0), 1.0);
        let snap = c.update(&video(vec![source(1, 20, 20)], 0), 2.0);
        assert_eq!(snap.video.rtt_ms, Some(1.5));
        assert_eq!(snap.video.packets_lost, 0);
    }

    #[test]
    fn unit_conversions() {
        assert_eq!(rtt_ms_from_ntp_short(65536), 1000.0);
        assert_eq!(jitter_ms_from_units(90, 90_000), 1.0);
        assert_eq!(jitter_ms_from_units(90, 0), 0.0);
    }

    fn fb(highest_seq: u64, lost: i64) -> Feedback {
        Feedback {
            highest_seq,
            lost,
            received_at_s: None,
        }
    }

    #[test]
    fn loss_share_is_taken_between_two_reports() {
        assert_eq!(loss_pct(&fb(100, 0), &fb(200, 5)), Some(5.0));
        assert_eq!(loss_pct(&fb(100, 5), &fb(100, 5)), None);
        // Duplicates make the cumulative count fall: no negative loss.
        assert_eq!(loss_pct(&fb(100, 5), &fb(200, 3)), Some(0.0));
        assert_eq!(loss_pct(&fb(200, 0), &fb(100, 0)), None);
    }

    #[test]
    fn what_we_send_carries_the_peers_reports_about_it() {
        let mut computer = StatsComputer::default();
        let mut sample = RawSample::default();
        assert_eq!(computer.update(&sample, 1.0).video.sent, None);
        sample.video.our_ssrc = Some(7);
        sample.video.sent = Some(SentStats {
            kbps: 2000.0,
            mean_packet_bytes: None,
            packets: 500,
        });
        sample.video.feedback = vec![(7, fb(1000, 0))];
        let sent = computer.update(&sample, 2.0).video.sent.unwrap();
        assert_eq!(sent.bitrate_bps, 2_000_000.0);
        assert_eq!(sent.packets_sent, 500);
        assert_eq!(sent.peer_loss_pct, None, "one report shows no interval");
        sample.video.feedback = vec![(7, fb(1200, 10))];
        let sent = computer.update(&sample, 3.0).video.sent.unwrap();
        assert_eq!(sent.peer_packets_lost, 10);
        assert_eq!(sent.peer_loss_pct, Some(5.0));
        // The same report again keeps the last share.
        let sent = computer.update(&sample, 4.0).video.sent.unwrap();
        assert_eq!(sent.peer_loss_pct, Some(5.0));
    }
}
