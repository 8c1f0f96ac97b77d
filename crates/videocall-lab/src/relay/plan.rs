//! The relay's plan as plain values: what each direction does to packets (`Impairment`), which
//! relay port forwards to which peer port (`RelayPlan::flows`), and when scheduled outages begin
//! and end. No GStreamer here; `build` turns it into elements.

use std::net::IpAddr;
use std::time::Duration;

use videocall_core::config::{Endpoints, StreamPorts};
use videocall_core::plan::ElementSpec;

/// One scheduled outage: everything in its direction is dropped from `start` for `length`,
/// counted from the moment the relay starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    pub start: Duration,
    pub length: Duration,
}

/// What the network does to one direction of the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Impairment {
    /// Share of packets dropped at random, 0–100 %.
    pub loss_pct: f64,
    /// Each packet is delayed by a uniform random time in this range (milliseconds).
    pub delay_ms: (u32, u32),
    /// With jitter, may a later packet overtake an earlier one?
    pub reorder: bool,
    /// Share of packets sent twice, 0–100 %.
    pub duplicate_pct: f64,
    /// Bit-rate cap of each RTP flow: a token-bucket policer (what exceeds it is dropped), or
    /// with `cap_queue_ms` a bottleneck with a queue.
    pub cap_kbps: Option<u32>,
    /// When set, the cap is a link that sends no faster than the cap and queues up to this
    /// many milliseconds of it, dropping what arrives when the queue is full (`queue=200`).
    pub cap_queue_ms: Option<u32>,
    /// When set, the cap holds only from `start` for `length` (`cap=1000@5+20`).
    pub cap_window: Option<Outage>,
    pub outages: Vec<Outage>,
}

impl Default for Impairment {
    /// A clean network: nothing dropped, delayed, duplicated or capped.
    fn default() -> Self {
        Impairment {
            loss_pct: 0.0,
            delay_ms: (0, 0),
            reorder: true,
            duplicate_pct: 0.0,
            cap_kbps: None,
            cap_queue_ms: None,
            cap_window: None,
            outages: Vec::new(),
        }
    }
}

/// How much burst the cap lets through, as milliseconds of the capped rate: what a bottleneck
/// router's queue would absorb. Without a bound netsim's bucket is unlimited and the cap does
/// nothing; 250 ms keeps the cap a cap while letting a key frame at that rate pass.
const CAP_BURST_MS: u32 = 250;

impl Impairment {
    /// Applies `spec`, a comma-separated list of settings, on top of `self`:
    /// `loss=2` (%), `delay=20-40` or `delay=30` (ms), `reorder=yes|no`, `dup=1` (%),
    /// `cap=1000` (kbit/s, `cap=none` lifts it), `queue=200` (the cap queues that many ms instead
    /// of dropping at once), `outage=10+5` (from 10 s for 5 s; repeatable).
    pub fn apply_spec(mut self, spec: &str) -> Result<Impairment, String> {
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| format!("'{item}' is not key=value (e.g. loss=2)"))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "loss" => self.loss_pct = parse_pct(key, value)?,
                "dup" => self.duplicate_pct = parse_pct(key, value)?,
                "delay" => self.delay_ms = parse_delay(value)?,
                "reorder" => {
                    self.reorder = match value {
                        "yes" | "true" | "1" => true,
                        "no" | "false" | "0" => false,
                        _ => return Err(format!("reorder={value}: use yes or no")),
                    }
                }
                "cap" => {
                    let (value, window) = match value.split_once('@') {
                        Some((cap, window)) => (cap, Some(parse_outage(window)?)),
                        None => (value, None),
                    };
                    self.cap_window = window;
                    self.cap_kbps = match value {
                        "none" | "off" => None,
                        _ => Some(
                            value
                                .parse::<u32>()
                                .ok()
                                .filter(|k| (8..=10_000_000).contains(k))
                                .ok_or_else(|| {
                                    format!("cap={value}: use kbit/s from 8 to 10000000, or none")
                                })?,
                        ),
                    }
                }
                "queue" => {
                    self.cap_queue_ms = Some(
                        value
                            .parse::<u32>()
                            .ok()
                            .filter(|ms| (1..=5000).contains(ms))
                            .ok_or_else(|| format!("queue={value}: use ms from 1 to 5000"))?,
                    )
                }
                "outage" => self.outages.push(parse_outage(value)?),
                _ => {
                    return Err(format!(
                        "unknown setting '{key}': use loss, delay, reorder, dup, cap, queue or outage"
                    ));
                }
            }
        }
        Ok(self)
    }

    /// True when an outage covers time `t` since the relay started.
    pub fn in_outage(&self, t: Duration) -> bool {
        self.outages
            .iter()
            .any(|o| t >= o.start && t < o.start + o.length)
    }

    /// The drop probability netsim must have at `t`: everything during an outage, else the loss.
    pub fn drop_probability_at(&self, t: Duration) -> f64 {
        if self.in_outage(t) {
            1.0
        } else {
            self.loss_pct / 100.0
        }
    }

    /// The cap in force at `t`.
    pub fn cap_at(&self, t: Duration) -> Option<u32> {
        match self.cap_window {
            Some(w) if t < w.start || t >= w.start + w.length => None,
            _ => self.cap_kbps,
        }
    }

    /// The cap netsim polices at `t`: none when the cap is a queue instead.
    pub fn policer_at(&self, t: Duration) -> Option<u32> {
        self.cap_queue_ms.map_or(self.cap_at(t), |_| None)
    }

    /// The queue of a queueing cap in bytes at the cap's rate, if the cap queues.
    pub fn cap_queue_bytes(&self) -> Option<u64> {
        let (ms, kbps) = (self.cap_queue_ms?, self.cap_kbps?);
        Some(u64::from(ms) * u64::from(kbps) / 8)
    }

    /// netsim's `max-kbps` and `max-bucket-size` for a cap (-1: none). Without a bucket bound
    /// netsim's cap does nothing; `CAP_BURST_MS` of the rate keeps it a cap.
    pub fn cap_props(cap: Option<u32>) -> (i32, i32) {
        match cap {
            Some(cap) => (cap as i32, (cap * CAP_BURST_MS / 1000).max(24) as i32),
            None => (-1, -1),
        }
    }

    /// The instants at which the drop probability or the cap may change (outage and cap
    /// window starts and ends), sorted and without repeats.
    pub fn schedule_edges(&self) -> Vec<Duration> {
        let mut edges: Vec<Duration> = self
            .outages
            .iter()
            .chain(&self.cap_window)
            .flat_map(|o| [o.start, o.start + o.length])
            .collect();
        edges.sort();
        edges.dedup();
        edges
    }

    /// One line for people: what this direction does.
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("loss {}%", self.loss_pct)];
        if self.delay_ms != (0, 0) {
            parts.push(format!(
                "delay {}-{} ms{}",
                self.delay_ms.0,
                self.delay_ms.1,
                if self.reorder { "" } else { " in order" }
            ));
        }
        if self.duplicate_pct > 0.0 {
            parts.push(format!("dup {}%", self.duplicate_pct));
        }
        if let Some(cap) = self.cap_kbps {
            parts.push(match self.cap_queue_ms {
                Some(q) => format!("cap {cap} kbit/s per flow with a {q} ms queue"),
                None => format!("cap {cap} kbit/s per flow"),
            });
        }
        if let Some(w) = self.cap_window {
            parts.push(format!(
                "capped from {} s for {} s",
                w.start.as_secs_f64(),
                w.length.as_secs_f64()
            ));
        }
        for o in &self.outages {
            parts.push(format!(
                "outage at {} s for {} s",
                o.start.as_secs_f64(),
                o.length.as_secs_f64()
            ));
        }
        parts.join(", ")
    }

    /// The netsim settings of one flow; `rtp` flows also get the cap (RTCP is tiny and
    /// a per-flow cap on it would only starve the feedback).
    pub fn netsim(&self, name: String, rtp: bool, t: Duration) -> ElementSpec {
        let (min, max) = self.delay_ms;
        let mut props = vec![
            ("drop-probability", self.drop_probability_at(t).to_string()),
            (
                "duplicate-probability",
                (self.duplicate_pct / 100.0).to_string(),
            ),
            (
                "delay-probability",
                if max > 0 { "1" } else { "0" }.to_string(),
            ),
            ("min-delay", min.to_string()),
            ("max-delay", max.to_string()),
            ("allow-reordering", self.reorder.to_string()),
        ];
        if rtp {
            let (kbps, bucket_kbit) = Impairment::cap_props(self.policer_at(t));
            props.push(("max-kbps", kbps.to_string()));
            props.push(("max-bucket-size", bucket_kbit.to_string()));
        }
        ElementSpec {
            factory: "netsim",
            name,
            props,
        }
    }
}

fn parse_pct(key: &str, value: &str) -> Result<f64, String> {
    value
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
        .ok_or_else(|| format!("{key}={value}: use a percentage from 0 to 100"))
}

fn parse_delay(value: &str) -> Result<(u32, u32), String> {
    let bad = || format!("delay={value}: use MIN-MAX or MS in milliseconds (e.g. 20-40)");
    let ms = |s: &str| s.trim().parse::<u32>().ok().filter(|m| *m <= 60_000);
    let (min, max) = match value.split_once('-') {
        Some((a, b)) => (ms(a).ok_or_else(bad)?, ms(b).ok_or_else(bad)?),
        None => {
            let m = ms(value).ok_or_else(bad)?;
            (m, m)
        }
    };
    if min > max {
        return Err(format!("delay={value}: the minimum is above the maximum"));
    }
    Ok((min, max))
}

fn parse_outage(value: &str) -> Result<Outage, String> {
    let bad = || format!("outage={value}: use START+LENGTH in seconds (e.g. 10+5)");
    let secs = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| (0.0..=1e6).contains(x))
            .map(Duration::from_secs_f64)
    };
    let (start, length) = value.split_once('+').ok_or_else(bad)?;
    let (start, length) = (secs(start).ok_or_else(bad)?, secs(length).ok_or_else(bad)?);
    if length.is_zero() {
        return Err(format!("outage={value}: the length must be more than 0"));
    }
    Ok(Outage { start, length })
}

/// One direction of the call through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    AToB,
    BToA,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::AToB, Direction::BToA];

    pub fn name(self) -> &'static str {
        match self {
            Direction::AToB => "a-to-b",
            Direction::BToA => "b-to-a",
        }
    }

    /// 0 for a → b, 1 for b → a: an index into per-direction arrays.
    pub fn index(self) -> usize {
        match self {
            Direction::AToB => 0,
            Direction::BToA => 1,
        }
    }
}

/// Where one peer receives: its address and its two RTP reception ports (RTCP on + 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddress {
    pub ip: IpAddr,
    pub video_port: u16,
    pub audio_port: u16,
}

/// Everything the relay is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct RelayPlan {
    /// The address the relay receives on (the peers' "destination IP").
    pub listen_ip: IpAddr,
    /// First of the relay's 8 ports: A sends video to `base`, audio to `base + 2`; B sends video
    /// to `base + 4`, audio to `base + 6` (RTCP on each + 1). Unused with `mirror_ports`.
    pub base: u16,
    /// Listen on the peers' own port numbers instead: a peer sends to the port its peer
    /// receives on, as in a direct call (the bench's impaired runs look like direct calls to
    /// the peers). Needs a listening address that is neither peer's.
    pub mirror_ports: bool,
    pub a: PeerAddress,
    pub b: PeerAddress,
    pub a_to_b: Impairment,
    pub b_to_a: Impairment,
}

/// One forwarded UDP flow: a relay port, what happens on the way, and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Flow {
    pub direction: Direction,
    /// e.g. `video-rtp`, `audio-rtcp`.
    pub kind: &'static str,
    pub listen_port: u16,
    pub dest_ip: IpAddr,
    pub dest_port: u16,
    pub rtp: bool,
}

impl Flow {
    /// The element names of this flow: `relay-src-a-to-b-video-rtp` etc.
    pub fn element_name(&self, role: &str) -> String {
        format!("relay-{role}-{}-{}", self.direction.name(), self.kind)
    }
}

impl RelayPlan {
    /// The relay ports a peer sends to: (video RTP, audio RTP) of the side that sends in `dir`.
    pub fn listen_ports(&self, dir: Direction) -> (u16, u16) {
        match (dir, self.mirror_ports) {
            (Direction::AToB, false) => (self.base, self.base + 2),
            (Direction::BToA, false) => (self.base + 4, self.base + 6),
            (Direction::AToB, true) => (self.b.video_port, self.b.audio_port),
            (Direction::BToA, true) => (self.a.video_port, self.a.audio_port),
        }
    }

    /// The ports the relay listens on, for messages: `ports 6000-6007` or, mirrored, the
    /// peers' own.
    pub fn ports_text(&self) -> String {
        if self.mirror_ports {
            let (a, b) = (self.a, self.b);
            format!(
                "the peers' ports {}, {}, {}, {} (RTCP on each + 1)",
                a.video_port, a.audio_port, b.video_port, b.audio_port
            )
        } else {
            format!("ports {}-{}", self.base, self.base + 7)
        }
    }

    pub fn impairment(&self, dir: Direction) -> &Impairment {
        match dir {
            Direction::AToB => &self.a_to_b,
            Direction::BToA => &self.b_to_a,
        }
    }

    /// The eight flows: per direction video RTP, video RTCP, audio RTP, audio RTCP.
    pub fn flows(&self) -> Vec<Flow> {
        let mut flows = Vec::new();
        for dir in Direction::BOTH {
            let (video_in, audio_in) = self.listen_ports(dir);
            let to = match dir {
                Direction::AToB => self.b,
                Direction::BToA => self.a,
            };
            for (kind, listen_port, dest_port, rtp) in [
                ("video-rtp", video_in, to.video_port, true),
                ("video-rtcp", video_in + 1, to.video_port + 1, false),
                ("audio-rtp", audio_in, to.audio_port, true),
                ("audio-rtcp", audio_in + 1, to.audio_port + 1, false),
            ] {
                flows.push(Flow {
                    direction: dir,
                    kind,
                    listen_port,
                    dest_ip: to.ip,
                    dest_port,
                    rtp,
                });
            }
        }
        flows
    }

    /// The relay's own ports must not be a peer's reception ports on the same address.
    pub fn check(&self) -> Result<(), String> {
        if self.mirror_ports && [self.a.ip, self.b.ip].contains(&self.listen_ip) {
            return Err(format!(
                "with --mirror-ports the relay listens on the peers' port numbers: give it an \
                 address of its own (--listen-ip), not {}",
                self.listen_ip
            ));
        }
        if !self.mirror_ports && (!self.base.is_multiple_of(2) || self.base > 65534 - 7) {
            return Err(format!(
                "relay port {} must be even and leave room for 8 ports",
                self.base
            ));
        }
        for (name, peer) in [("A", self.a), ("B", self.b)] {
            for port in [peer.video_port, peer.audio_port] {
                if !port.is_multiple_of(2) || port > 65534 {
                    return Err(format!(
                        "peer {name}'s port {port} must be even (RTCP uses the port + 1)"
                    ));
                }
                if peer.ip == self.listen_ip && port + 1 >= self.base && port <= self.base + 7 {
                    return Err(format!(
                        "peer {name}'s port {port} is one of the relay's ports {}-{}",
                        self.base,
                        self.base + 7
                    ));
                }
            }
        }
        Ok(())
    }

    /// The `videocall call` flags that make peer A (or B) call through this relay.
    pub fn peer_flags(&self, side_b: bool) -> String {
        let (me, dir) = if side_b {
            (self.b, Direction::BToA)
        } else {
            (self.a, Direction::AToB)
        };
        let (video_dest, audio_dest) = self.listen_ports(dir);
        let endpoints = Endpoints {
            local_ip: me.ip,
            remote_ip: self.listen_ip,
            video: StreamPorts {
                dest_rtp: video_dest,
                recv_rtp: me.video_port,
            },
            audio: StreamPorts {
                dest_rtp: audio_dest,
                recv_rtp: me.audio_port,
            },
        };
        endpoints.to_args().join(" ")
    }

    /// The element factories `Relay::build` makes, for the start-up check.
    pub fn required_elements(&self) -> Vec<&'static str> {
        vec!["udpsrc", "netsim", "udpsink", "queue"]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn plan() -> RelayPlan {
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        RelayPlan {
            listen_ip: ip,
            base: 6000,
            mirror_ports: false,
            a: PeerAddress {
                ip,
                video_port: 5000,
                audio_port: 5004,
            },
            b: PeerAddress {
                ip,
                video_port: 5100,
                audio_port: 5104,
            },
            a_to_b: Impairment::default(),
            b_to_a: Impairment::default(),
        }
    }

    #[test]
    fn specs_parse_and_layer() {
        let base = Impairment::default()
            .apply_spec("loss=2, delay=20-40, outage=10+5")
            .unwrap();
        assert_eq!(base.loss_pct, 2.0);
        assert_eq!(base.delay_ms, (20, 40));
        let over = base
            .clone()
            .apply_spec("loss=5,reorder=no,dup=1,cap=1000,outage=30+2.5")
            .unwrap();
        assert_eq!(over.loss_pct, 5.0);
        assert_eq!(over.delay_ms, (20, 40));
        assert!(!over.reorder);
        assert_eq!(over.cap_kbps, Some(1000));
        assert_eq!(over.outages.len(), 2);
        assert_eq!(over.outages[1].length, secs(2.5));
        assert_eq!(over.apply_spec("cap=none").unwrap().cap_kbps, None);
        assert_eq!(
            Impairment::default()
                .apply_spec("delay=30")
                .unwrap()
                .delay_ms,
            (30, 30)
        );
    }

    #[test]
    fn bad_specs_say_why() {
        for (spec, says) in [
            ("loss=101", "percentage"),
            ("loss", "key=value"),
            ("delay=40-20", "minimum is above"),
            ("delay=a-b", "MIN-MAX"),
            ("outage=10", "START+LENGTH"),
            ("outage=10+0", "more than 0"),
            ("cap=0", "kbit/s"),
            ("speed=3", "unknown setting"),
            ("reorder=maybe", "yes or no"),
        ] {
            let err = Impairment::default().apply_spec(spec).unwrap_err();
            assert!(err.contains(says), "{spec}: {err}");
        }
    }

    #[test]
    fn outages_drop_everything_only_while_they_last() {
        let imp = Impairment::default()
            .apply_spec("loss=2,outage=10+5,outage=12+5")
            .unwrap();
        assert_eq!(imp.drop_probability_at(secs(9.9)), 0.02);
        assert_eq!(imp.drop_probability_at(secs(10.0)), 1.0);
        assert_eq!(imp.drop_probability_at(secs(16.9)), 1.0);
        assert_eq!(imp.drop_probability_at(secs(17.0)), 0.02);
        assert_eq!(
            imp.schedule_edges(),
            vec![secs(10.0), secs(12.0), secs(15.0), secs(17.0)]
        );
    }

    #[test]
    fn flows_cross_from_one_peer_to_the_other() {
        let flows = plan().flows();
        assert_eq!(flows.len(), 8);
        let find = |d, k| {
            flows
                .iter()
                .find(|f| f.direction == d && f.kind == k)
                .unwrap()
        };
        let f = find(Direction::AToB, "video-rtp");
        assert_eq!((f.listen_port, f.dest_port), (6000, 5100));
        let f = find(Direction::AToB, "audio-rtcp");
        assert_eq!((f.listen_port, f.dest_port, f.rtp), (6003, 5105, false));
        let f = find(Direction::BToA, "video-rtcp");
        assert_eq!((f.listen_port, f.dest_port), (6005, 5001));
        assert_eq!(f.element_name("src"), "relay-src-b-to-a-video-rtcp");
        let mut ports: Vec<u16> = flows.iter().map(|f| f.listen_port).collect();
        ports.dedup();
        assert_eq!(ports, (6000..6008).collect::<Vec<_>>());
    }

    #[test]
    fn a_queueing_cap_is_not_policed_by_netsim() {
        let imp = Impairment::default()
            .apply_spec("cap=1000@3+15,queue=200")
            .unwrap();
        assert_eq!(imp.cap_at(secs(4.0)), Some(1000));
        assert_eq!(
            imp.policer_at(secs(4.0)),
            None,
            "the shaper caps, not netsim"
        );
        assert_eq!(imp.cap_queue_bytes(), Some(25_000), "200 ms at 1000 kbit/s");
        let rtp = imp.netsim("n".into(), true, secs(4.0));
        assert_eq!(
            rtp.props.iter().find(|p| p.0 == "max-kbps").unwrap().1,
            "-1"
        );
        assert!(
            imp.describe()
                .contains("cap 1000 kbit/s per flow with a 200 ms queue")
        );
        assert_eq!(
            Impairment::default()
                .apply_spec("cap=800")
                .unwrap()
                .cap_queue_bytes(),
            None
        );
        for bad in ["queue=0", "queue=9000", "queue=x"] {
            assert!(Impairment::default().apply_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_cap_goes_on_rtp_flows_only_and_bounds_the_bucket() {
        let imp = Impairment::default()
            .apply_spec("cap=1000,delay=20-40")
            .unwrap();
        let rtp = imp.netsim("n".into(), true, Duration::ZERO);
        assert_eq!(
            rtp.props.iter().find(|p| p.0 == "max-kbps").unwrap().1,
            "1000"
        );
        assert_eq!(
            rtp.props
                .iter()
                .find(|p| p.0 == "max-bucket-size")
                .unwrap()
                .1,
            "250"
        );
        assert_eq!(
            rtp.props
                .iter()
                .find(|p| p.0 == "delay-probability")
                .unwrap()
                .1,
            "1"
        );
        let rtcp = imp.netsim("n".into(), false, Duration::ZERO);
        assert!(rtcp.props.iter().all(|p| p.0 != "max-kbps"));
        let windowed = Impairment::default().apply_spec("cap=500@5+10").unwrap();
        assert_eq!(windowed.cap_at(secs(4.9)), None);
        assert_eq!(windowed.cap_at(secs(5.0)), Some(500));
        assert_eq!(windowed.cap_at(secs(15.0)), None);
        assert_eq!(windowed.schedule_edges(), vec![secs(5.0), secs(15.0)]);
        let at_start = windowed.netsim("n".into(), true, Duration::ZERO);
        assert_eq!(
            at_start.props.iter().find(|p| p.0 == "max-kbps").unwrap().1,
            "-1"
        );
        let clean = Impairment::default().netsim("n".into(), true, Duration::ZERO);
        assert_eq!(
            clean
                .props
                .iter()
                .find(|p| p.0 == "delay-probability")
                .unwrap()
                .1,
            "0"
        );
    }

    #[test]
    fn ports_are_checked_and_peer_flags_point_at_the_relay() {
        let mut p = plan();
        assert!(p.check().is_ok());
        assert!(
            p.peer_flags(false)
                .contains("--video-dest-port 6000 --video-recv-port 5000")
        );
        assert!(
            p.peer_flags(true)
                .contains("--audio-dest-port 6006 --audio-recv-port 5104")
        );
        p.b.video_port = 6006;
        assert!(p.check().unwrap_err().contains("relay's ports"));
        p.b.video_port = 5101;
        assert!(p.check().unwrap_err().contains("even"));
    }

    #[test]
    fn mirrored_ports_make_each_peer_send_where_its_peer_receives() {
        let mut p = plan();
        p.mirror_ports = true;
        assert!(
            p.check().unwrap_err().contains("address of its own"),
            "on the peers' address the relay would take their own ports"
        );
        p.listen_ip = "127.0.0.2".parse().unwrap();
        assert!(p.check().is_ok());
        assert_eq!(p.listen_ports(Direction::AToB), (5100, 5104));
        assert_eq!(p.listen_ports(Direction::BToA), (5000, 5004));
        assert_eq!(
            p.peer_flags(false),
            "--video-dest-port 5100 --video-recv-port 5000 --audio-dest-port 5104 \
             --audio-recv-port 5004 --local-ip 127.0.0.1 --remote-ip 127.0.0.2"
        );
        // Every flow still leaves for the other peer's own port.
        for f in p.flows() {
            assert_eq!(f.listen_port, f.dest_port, "{f:?}");
        }
        assert!(p.ports_text().contains("5000, 5004, 5100, 5104"));
    }
}
