//! Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions)
//! folded into one window per poll: what the peer says of every video packet we sent (arrived
//! when, by its clock, or lost). rtpsession parses the feedback and hands it upstream as
//! `RTPTWCCPackets` events; `build::congestion` folds each event in with [`TwccWindow::add`],
//! `collect` takes the window at each poll. Pure and plain data, so traces replay it.

use serde::{Deserialize, Serialize};

/// One packet the peer reported on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TwccPacket {
    /// Its transport-wide sequence number.
    pub seqnum: u32,
    /// When we sent it, on our clock (ns).
    pub sent_ns: u64,
    /// When it arrived, on the peer's clock (ns); `None`: lost.
    pub arrived_ns: Option<u64>,
    /// Its size in bytes.
    pub bytes: u32,
    /// A resend we sent to probe the path (`build::congestion::ProbeBursts`), not media: it
    /// counts only in [`TwccWindow::probe`].
    pub probe: bool,
}

/// What became of the probe bursts' packets in a window: how many the peer reported on, how
/// many of them it lost, and the bytes of those that arrived.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeTally {
    pub packets: u32,
    pub lost: u32,
    pub arrived_bytes: u64,
}

impl ProbeTally {
    fn add(&mut self, other: &ProbeTally) {
        self.packets += other.packets;
        self.lost += other.lost;
        self.arrived_bytes += other.arrived_bytes;
    }
}

/// The feedback of one poll interval.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwccWindow {
    /// Feedback reports folded in.
    pub reports: u32,
    /// Packets reported on, arrived or lost, each once.
    pub packets: u32,
    /// Packets reported lost and not (yet) reported arrived.
    pub lost: u32,
    /// Their sequence numbers (and sizes), and those of the packets that arrived: a report may
    /// call a packet lost that a later one, after reordering, says arrived.
    pub lost_seqnums: Vec<(u32, u32)>,
    pub arrived_seqnums: Vec<u32>,
    /// Bytes of all reported packets, and their first and last departure (our clock, µs): what
    /// we put on the path (media, key frames, resends and headers), whatever the encoder aimed at.
    pub sent_bytes: u64,
    pub first_sent_us: Option<i64>,
    pub last_sent_us: Option<i64>,
    /// Bytes of the packet that left first: not part of the rate over the departure span.
    pub first_sent_bytes: u32,
    /// Bytes of the packets that arrived.
    pub arrived_bytes: u64,
    /// First and last arrival (peer clock, µs) of the packets that arrived.
    pub first_arrival_us: Option<i64>,
    pub last_arrival_us: Option<i64>,
    /// Bytes of the packet that arrived first: not part of the rate over the arrival span.
    pub first_arrival_bytes: u32,
    /// The least one-way delay of an arrived packet (µs): its arrival on the peer's clock less
    /// its departure on ours. The clocks' offset is unknown, so only differences between
    /// windows mean something: a rise of the least delay is a queue on the path.
    pub min_delay_us: Option<i64>,
    /// The last reports' last arrival and least delay (µs), newest last: the queue now rather
    /// than at the window's start ([`TwccWindow::recent_min_delay_us`]).
    pub recent: Vec<(i64, i64)>,
    /// The probe bursts' packets, kept out of every figure above.
    #[serde(default)]
    pub probe: ProbeTally,
    /// Packet pairs that left back to back (a frame's packets) and both arrived: how many, the
    /// second packets' bytes and the sum of their arrival gaps (µs). A bottleneck spaces such
    /// a pair by the second packet's time on its link, whatever rate we send at, so the pairs
    /// read the link's rate even under it ([`TwccWindow::train_kbps`]).
    #[serde(default)]
    pub train: PacketTrains,
}

/// Back-to-back packet pairs of a window (see [`TwccWindow::train`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketTrains {
    pub pairs: u32,
    pub bytes: u64,
    pub gap_us: i64,
}

impl PacketTrains {
    fn add(&mut self, other: &PacketTrains) {
        self.pairs += other.pairs;
        self.bytes += other.bytes;
        self.gap_us += other.gap_us;
    }
}

/// Two consecutive packets that left within this of each other (ns) left back to back: the
/// payloader hands a frame's packets over as one list.
const BACK_TO_BACK_NS: u64 = 500_000;
/// The feedback's arrival times are in steps of 250 µs: a pair's gap reads at least this.
const ARRIVAL_STEP_US: i64 = 250;

/// How many of the last reports [`TwccWindow::recent`] keeps: 4 reports (about a frame each)
/// cover the last [`RECENT_US`] at our frame rate.
const RECENT_REPORTS: usize = 4;
/// How far back from the last arrival "recent" reaches (µs): enough packets that random jitter
/// leaves at least one of them on time.
pub const RECENT_US: i64 = 150_000;

impl TwccWindow {
    /// Folds in one packet; returns its arrival and one-way delay (µs) if it arrived.
    pub fn add(&mut self, packet: TwccPacket) -> Option<(i64, i64)> {
        if packet.probe {
            self.probe.add(&ProbeTally {
                packets: 1,
                lost: u32::from(packet.arrived_ns.is_none()),
                arrived_bytes: packet.arrived_ns.map_or(0, |_| u64::from(packet.bytes)),
            });
            return None;
        }
        let late = packet.arrived_ns.is_some() && self.forget_loss(packet.seqnum).is_some();
        if !late {
            self.packets += 1;
        }
        let sent_us = (packet.sent_ns / 1000) as i64;
        if !late {
            self.sent_bytes += u64::from(packet.bytes);
            if self.first_sent_us.is_none_or(|first| sent_us < first) {
                self.first_sent_us = Some(sent_us);
                self.first_sent_bytes = packet.bytes;
            }
            self.last_sent_us = Some(self.last_sent_us.map_or(sent_us, |l| l.max(sent_us)));
        }
        let Some(arrived) = packet.arrived_ns else {
            self.lost += 1;
            self.lost_seqnums.push((packet.seqnum, packet.bytes));
            return None;
        };
        self.arrived_seqnums.push(packet.seqnum);
        let arrival_us = (arrived / 1000) as i64;
        let delay_us = arrival_us - (packet.sent_ns / 1000) as i64;
        self.arrived_bytes += u64::from(packet.bytes);
        if self.first_arrival_us.is_none_or(|first| arrival_us < first) {
            self.first_arrival_us = Some(arrival_us);
            self.first_arrival_bytes = packet.bytes;
        }
        self.last_arrival_us = Some(
            self.last_arrival_us
                .map_or(arrival_us, |l| l.max(arrival_us)),
        );
        self.min_delay_us = Some(self.min_delay_us.map_or(delay_us, |d| d.min(delay_us)));
        Some((arrival_us, delay_us))
    }

    /// Folds in one feedback report.
    pub fn add_report(&mut self, packets: impl IntoIterator<Item = TwccPacket>) {
        self.reports += 1;
        let mut previous: Option<TwccPacket> = None;
        let mut report: Option<(i64, i64)> = None;
        for packet in packets {
            if !packet.probe {
                self.add_if_back_to_back(previous.replace(packet), &packet);
            }
            if let Some((arrival, delay)) = self.add(packet) {
                report =
                    Some(report.map_or((arrival, delay), |(a, d)| (a.max(arrival), d.min(delay))));
            }
        }
        if let Some(report) = report {
            if self.recent.len() == RECENT_REPORTS {
                self.recent.remove(0);
            }
            self.recent.push(report);
        }
    }

    /// Counts `packet` and the one reported before it as a pair if they left back to back
    /// and both arrived.
    fn add_if_back_to_back(&mut self, before: Option<TwccPacket>, packet: &TwccPacket) {
        let (Some(before), Some(arrived)) = (before, packet.arrived_ns) else {
            return;
        };
        let Some(arrived_before) = before.arrived_ns else {
            return;
        };
        if packet.seqnum == before.seqnum.wrapping_add(1)
            && packet.sent_ns.abs_diff(before.sent_ns) <= BACK_TO_BACK_NS
        {
            let gap_us = (arrived as i64 - arrived_before as i64) / 1000;
            self.train.add(&PacketTrains {
                pairs: 1,
                bytes: u64::from(packet.bytes),
                gap_us: gap_us.max(0),
            });
        }
    }

    /// The link's rate (kbit/s) as back-to-back pairs read it, if at least `min_pairs` did.
    /// Pairs that arrived closer than the feedback's resolution read as that far apart: the
    /// rate is then a bound from below.
    pub fn train_kbps(&self, min_pairs: u32) -> Option<f64> {
        let t = &self.train;
        (t.pairs >= min_pairs).then(|| {
            let gap_us = t.gap_us.max(i64::from(t.pairs) * ARRIVAL_STEP_US);
            t.bytes as f64 * 8.0 / 1000.0 / (gap_us as f64 / 1e6)
        })
    }

    /// The least one-way delay (µs) of the packets that arrived within [`RECENT_US`] of the
    /// last arrival (by whole reports).
    pub fn recent_min_delay_us(&self) -> Option<i64> {
        let last = self.last_arrival_us?;
        self.recent
            .iter()
            .filter(|(arrival, _)| last - arrival <= RECENT_US)
            .map(|(_, delay)| *delay)
            .min()
    }

    /// Adds only `other`'s packet and loss counts (for a loss share over a longer span).
    pub fn merge_counts(&mut self, other: &TwccWindow) {
        self.packets += other.packets;
        self.lost += other.lost;
    }

    /// Takes back the loss of `seqnum` if it was reported lost: it arrived after all.
    /// Returns its size if so.
    fn forget_loss(&mut self, seqnum: u32) -> Option<u32> {
        let i = self.lost_seqnums.iter().position(|(s, _)| *s == seqnum)?;
        let (_, bytes) = self.lost_seqnums.swap_remove(i);
        self.lost -= 1;
        Some(bytes)
    }

    /// Adds `other`, a later window, to this one (`recent` keeps the newest reports); a packet
    /// this one lost and `other` saw arrive counts once, as arrived.
    pub fn merge(&mut self, other: &TwccWindow) {
        for seqnum in &other.arrived_seqnums {
            if let Some(bytes) = self.forget_loss(*seqnum) {
                self.packets -= 1;
                self.sent_bytes -= u64::from(bytes);
            }
        }
        self.lost_seqnums.extend(other.lost_seqnums.iter().copied());
        self.arrived_seqnums
            .extend(other.arrived_seqnums.iter().copied());
        fn earliest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
            a.into_iter().chain(b).min()
        }
        fn latest(a: Option<i64>, b: Option<i64>) -> Option<i64> {
            a.into_iter().chain(b).max()
        }
        if other.first_sent_us.is_some()
            && earliest(self.first_sent_us, other.first_sent_us) == other.first_sent_us
            && self.first_sent_us != other.first_sent_us
        {
            self.first_sent_bytes = other.first_sent_bytes;
        }
        if other.first_arrival_us.is_some()
            && earliest(self.first_arrival_us, other.first_arrival_us) == other.first_arrival_us
            && self.first_arrival_us != other.first_arrival_us
        {
            self.first_arrival_bytes = other.first_arrival_bytes;
        }
        self.reports += other.reports;
        self.probe.add(&other.probe);
        self.train.add(&other.train);
        self.packets += other.packets;
        self.lost += other.lost;
        self.sent_bytes += other.sent_bytes;
        self.arrived_bytes += other.arrived_bytes;
        self.first_sent_us = earliest(self.first_sent_us, other.first_sent_us);
        self.last_sent_us = latest(self.last_sent_us, other.last_sent_us);
        self.first_arrival_us = earliest(self.first_arrival_us, other.first_arrival_us);
        self.last_arrival_us = latest(self.last_arrival_us, other.last_arrival_us);
        self.min_delay_us = earliest(self.min_delay_us, other.min_delay_us);
        self.recent.extend(other.recent.iter().copied());
        let excess = self.recent.len().saturating_sub(RECENT_REPORTS);
        self.recent.drain(..excess);
    }

    /// Share of the reported packets that were lost.
    pub fn loss(&self) -> Option<f64> {
        (self.packets > 0).then(|| f64::from(self.lost) / f64::from(self.packets))
    }

    /// The rate (kbit/s) at which packets arrived at the peer, over at least `min_span_s` of
    /// arrivals: on a saturated link, the link's rate.
    pub fn arrival_kbps(&self, min_span_s: f64) -> Option<f64> {
        let span = (self.first_arrival_us?, self.last_arrival_us?);
        rate_kbps(
            self.arrived_bytes - u64::from(self.first_arrival_bytes),
            span,
            min_span_s,
        )
    }

    /// The rate (kbit/s) at which the reported packets left us, over at least `min_span_s`.
    pub fn sent_kbps(&self, min_span_s: f64) -> Option<f64> {
        let span = (self.first_sent_us?, self.last_sent_us?);
        rate_kbps(
            self.sent_bytes - u64::from(self.first_sent_bytes),
            span,
            min_span_s,
        )
    }
}

/// `bytes` over the span `(first, last)` (µs) in kbit/s, if the span is long enough.
fn rate_kbps(bytes: u64, (first, last): (i64, i64), min_span_s: f64) -> Option<f64> {
    let span_s = (last - first) as f64 / 1e6;
    (span_s >= min_span_s).then(|| bytes as f64 * 8.0 / 1000.0 / span_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(sent_ms: u64, arrived_ms: Option<u64>) -> TwccPacket {
        TwccPacket {
            seqnum: sent_ms as u32,
            sent_ns: sent_ms * 1_000_000,
            arrived_ns: arrived_ms.map(|a| a * 1_000_000),
            bytes: 1250,
            probe: false,
        }
    }

    #[test]
    fn a_window_counts_losses_rate_and_least_delay() {
        let mut w = TwccWindow::default();
        assert_eq!(w.loss(), None);
        assert_eq!(w.arrival_kbps(0.1), None);
        // 11 packets 30 ms apart arrive (the clocks differ by 5 s), one is lost; the queue
        // grows by 1 ms a packet, so the first packet has the least delay.
        w.add_report((0..6).map(|i| packet(i * 30, Some(5000 + 20 + i * 30 + i))));
        w.add_report([packet(180, None)]);
        w.add_report((7..12).map(|i| packet(i * 30, Some(5000 + 20 + i * 30 + i))));
        assert_eq!((w.reports, w.packets, w.lost), (3, 12, 1));
        assert_eq!(w.loss(), Some(1.0 / 12.0));
        assert_eq!(w.min_delay_us, Some(5_020_000));
        // The last report's packets (the first report ended over 150 ms before) waited 7 to
        // 11 ms longer: that is the queue now.
        assert_eq!(w.recent_min_delay_us(), Some(5_027_000));
        // 10 packets of 10 kbit after the first, over 341 ms of arrivals.
        let kbps = w.arrival_kbps(0.1).unwrap();
        assert!((kbps - 100.0 / 0.341).abs() < 0.01, "{kbps}");
        assert_eq!(w.arrival_kbps(0.5), None, "too short a span says nothing");
        // 11 packets after the first left over 330 ms, the lost one too.
        let sent = w.sent_kbps(0.1).unwrap();
        assert!((sent - 110.0 / 0.33).abs() < 0.01, "{sent}");
    }

    #[test]
    fn back_to_back_pairs_read_the_bottleneck_under_our_rate() {
        // Frames of 4 packets every 40 ms (125 kbit/s each, 1 Mbit/s in all) through a
        // 2 Mbit/s bottleneck: each frame's packets leave together and arrive 5 ms apart.
        let frame = |f: u64, lost: Option<u64>| {
            (0..4u64).map(move |i| TwccPacket {
                seqnum: (f * 4 + i) as u32,
                sent_ns: f * 40_000_000 + i * 20_000,
                arrived_ns: (lost != Some(i))
                    .then_some(9_000_000_000 + f * 40_000_000 + i * 5_000_000),
                bytes: 1250,
                probe: false,
            })
        };
        let mut w = TwccWindow::default();
        for f in 0..3 {
            w.add_report(frame(f, None));
        }
        // A lost packet breaks both its pairs.
        w.add_report(frame(3, Some(1)));
        assert_eq!(w.train.pairs, 3 * 3 + 1);
        assert_eq!(w.train_kbps(11), None, "too few pairs say nothing");
        let kbps = w.train_kbps(10).unwrap();
        assert!((kbps - 2000.0).abs() < 1.0, "{kbps}");
        // What we sent over the frames' span (15 packets after the first in 120 ms) is less.
        let sent = w.sent_kbps(0.1).unwrap();
        assert!((sent - 1250.0).abs() < 1.0, "{sent}");
        // Pairs that arrive together read as far apart as the feedback's resolution.
        let mut together = TwccWindow::default();
        together.add_report((0..11u32).map(|i| TwccPacket {
            seqnum: i,
            sent_ns: u64::from(i) * 10_000,
            arrived_ns: Some(5_000_000_000),
            bytes: 1250,
            probe: false,
        }));
        // 10 pairs of 10 kbit over at least 2.5 ms.
        assert_eq!(together.train_kbps(10), Some(40_000.0));
    }

    #[test]
    fn windows_merge_into_the_window_of_all_their_packets() {
        let reports: Vec<Vec<TwccPacket>> = (0..6u64)
            .map(|r| {
                (0..5u64)
                    .map(|i| {
                        let n = r * 5 + i;
                        packet(n * 10, (n % 7 != 3).then_some(1000 + n * 10 + r))
                    })
                    .collect()
            })
            .collect();
        let mut whole = TwccWindow::default();
        let mut parts = [TwccWindow::default(), TwccWindow::default()];
        for (r, report) in reports.iter().enumerate() {
            whole.add_report(report.iter().copied());
            parts[r / 3].add_report(report.iter().copied());
        }
        let mut merged = TwccWindow::default();
        merged.merge(&parts[0]);
        merged.merge(&parts[1]);
        assert_eq!(merged, whole);
    }

    #[test]
    fn a_packet_reported_lost_then_arrived_counts_once_as_arrived() {
        let mut w = TwccWindow::default();
        w.add_report([packet(0, Some(20)), packet(10, None), packet(20, Some(40))]);
        assert_eq!((w.packets, w.lost), (3, 1));
        // Reordered: the next report says it came.
        w.add_report([packet(10, Some(45)), packet(30, Some(50))]);
        assert_eq!((w.packets, w.lost), (4, 0));
        // Across windows too.
        let mut first = TwccWindow::default();
        first.add_report([packet(0, Some(20)), packet(10, None)]);
        let mut second = TwccWindow::default();
        second.add_report([packet(10, Some(45)), packet(20, Some(46))]);
        first.merge(&second);
        assert_eq!((first.packets, first.lost), (3, 0));
        // Sent bytes count each packet once.
        assert_eq!(first.sent_bytes, 3 * 1250);
    }

    #[test]
    fn probe_packets_count_only_in_the_probe_tally() {
        let mut w = TwccWindow::default();
        let probe = |sent_ms, arrived_ms| TwccPacket {
            probe: true,
            ..packet(sent_ms, arrived_ms)
        };
        w.add_report([packet(0, Some(20)), probe(1, Some(21)), probe(2, None)]);
        assert_eq!((w.packets, w.lost, w.arrived_bytes), (1, 0, 1250));
        assert_eq!(
            w.probe,
            ProbeTally {
                packets: 2,
                lost: 1,
                arrived_bytes: 1250
            }
        );
        let mut merged = TwccWindow::default();
        merged.merge(&w);
        merged.merge(&w);
        assert_eq!((merged.probe.packets, merged.probe.lost), (4, 2));
    }

    #[test]
    fn arrivals_reported_out_of_order_keep_the_span() {
        let mut w = TwccWindow::default();
        w.add_report([packet(10, Some(210)), packet(0, Some(200))]);
        assert_eq!(w.recent, [(210_000, 200_000)]);
        assert_eq!(w.first_arrival_us, Some(200_000));
        assert_eq!(w.last_arrival_us, Some(210_000));
        assert_eq!(w.min_delay_us, Some(200_000));
    }
}
