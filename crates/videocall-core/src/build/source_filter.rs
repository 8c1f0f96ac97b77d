//! Only the peer gets in: a probe on each receiving `udpsrc` drops datagrams whose sender
//! (udpsrc's `GstNetAddressMeta`) is not the configured peer address, and datagrams larger than
//! any a peer sends, before they reach the RTP session, and counts them. (The RTP session keeps
//! the packets of an unvalidated sender while it waits for the next one: 64 KiB garbage
//! datagrams with made-up SSRCs would add up.) In an encrypted call the probe also hands the
//! key exchange its datagrams (told apart by their first byte), and each socket locks to the
//! (address, port) its authenticated packets came from ([`SourceLock`]). This is the one
//! per-buffer Rust hook of the security feature: udpsrc cannot filter by sender itself, and a
//! connected socket would need the peer's source port, which nobody agreed on.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::security::exchange::wire::is_exchange;

use gst::prelude::*;
use gst_net::gio;
use gst_net::gio::prelude::*;

/// Datagrams dropped for coming from elsewhere, shared by a session's RTP and RTCP sockets.
#[derive(Debug, Clone, Default)]
pub struct RejectCounter(Arc<AtomicU64>);

impl RejectCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
}

/// The largest datagram a peer sends: RTP packets are at most 1200 bytes plus headers, the
/// SRTP tag and the RTX header; RTCP compounds are far smaller. Generous on purpose.
pub const MAX_DATAGRAM: usize = 2048;

/// True when a datagram from `sender` may pass: only the peer's address (any source port, as
/// the peer's sockets send from ports of its OS's choice). IPv4-mapped IPv6 counts as IPv4.
pub fn is_from_peer(sender: Option<IpAddr>, peer: IpAddr) -> bool {
    sender.is_some_and(|s| s.to_canonical() == peer.to_canonical())
}

/// Where the key exchange's datagrams go, with their sender.
pub type ExchangeInbox = Arc<dyn Fn(&[u8], SocketAddr) + Send + Sync>;

/// The sender of a datagram, from udpsrc's `GstNetAddressMeta` (kept through `srtpdec`).
pub fn sender_of(buffer: &gst::BufferRef) -> Option<SocketAddr> {
    let addr = buffer
        .meta::<gst_net::NetAddressMeta>()?
        .addr()
        .downcast::<gio::InetSocketAddress>()
        .ok()?;
    Some(SocketAddr::new(IpAddr::from(addr.address()), addr.port()))
}

/// One socket's lock to the peer's (address, port): none until a packet authenticates, then
/// that sender only; another sender of the peer's address gets a few datagrams a second
/// through to the decoder, and the lock moves to it only if one of them authenticates (a
/// peer whose port changed). The key exchange unlocks it when the peer restarts.
#[derive(Debug, Clone, Default)]
pub struct SourceLock(Arc<Mutex<LockState>>);

/// The lock's state, as a pure function of time and senders.
#[derive(Debug, Default)]
pub struct LockState {
    locked: Option<SocketAddr>,
    tokens: f64,
    tokens_at: Option<Instant>,
}

impl LockState {
    /// Datagrams a second from other senders that may try to authenticate.
    pub const CANDIDATES_PER_S: f64 = 5.0;

    /// True when a datagram from `from` may reach the decoder at `now`.
    pub fn admits(&mut self, from: SocketAddr, now: Instant) -> bool {
        let Some(locked) = self.locked else {
            return true;
        };
        if locked == from {
            return true;
        }
        let since = self
            .tokens_at
            .map_or(Duration::from_secs(1), |t| now.saturating_duration_since(t));
        self.tokens = (self.tokens + since.as_secs_f64() * Self::CANDIDATES_PER_S)
            .min(Self::CANDIDATES_PER_S);
        self.tokens_at = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn authenticated(&mut self, from: SocketAddr) {
        self.locked = Some(from);
    }
}

impl SourceLock {
    pub fn admits(&self, from: SocketAddr) -> bool {
        self.0
            .lock()
            .map_or(true, |mut s| s.admits(from, Instant::now()))
    }

    /// A packet from `from` authenticated: lock (or move) to it.
    pub fn authenticated(&self, from: SocketAddr) {
        if let Ok(mut s) = self.0.lock()
            && s.locked != Some(from)
        {
            s.authenticated(from);
        }
    }

    /// Forget the sender (the peer restarted, as an authenticated exchange showed).
    pub fn unlock(&self) {
        if let Ok(mut s) = self.0.lock() {
            s.locked = None;
        }
    }

    pub fn locked(&self) -> Option<SocketAddr> {
        self.0.lock().ok()?.locked
    }
}

/// What a socket's probe does beyond the address check.
#[derive(Clone, Default)]
pub struct FilterHooks {
    /// Lock to the authenticated sender (encrypted calls).
    pub lock: Option<SourceLock>,
    /// Hand exchange datagrams over (the socket that carries the exchange).
    pub exchange: Option<ExchangeInbox>,
    /// Counts exchange datagrams where there is no exchange (a plain call's encrypted peer).
    pub stray_exchange: RejectCounter,
    /// Drop RTCP compounds that carry a BYE (a plain call's RTCP socket): nothing authenticates
    /// them, and rtpbin tearing down a jitter buffer on a forged BYE can race with the RTCP it
    /// is handing that buffer (GStreamer 1.22), which ended the call. A peer that leaves times
    /// out instead.
    pub drop_bye: bool,
}

/// True when `datagram` is an RTCP compound with a BYE packet in it.
pub fn has_bye(datagram: &[u8]) -> bool {
    rtcp_types::Compound::parse(datagram).is_ok_and(|mut compound| {
        compound.any(|packet| matches!(packet, Ok(rtcp_types::Packet::Bye(_))))
    })
}

/// Makes `udpsrc` report senders and drops every empty buffer or one larger than
/// [`MAX_DATAGRAM`], or, when
/// `peer` is given, not from `peer`, or not admitted by the socket's lock, counting it.
/// Exchange datagrams go to the inbox (or are counted as stray where there is none).
pub fn install(
    udpsrc: &gst::Element,
    peer: Option<IpAddr>,
    counter: &RejectCounter,
    hooks: FilterHooks,
) {
    if udpsrc.find_property("retrieve-sender-address").is_some() {
        udpsrc.set_property("retrieve-sender-address", true);
    }
    let Some(pad) = udpsrc.static_pad("src") else {
        return;
    };
    let counter = counter.0.clone();
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(buffer) = info.buffer() else {
            return gst::PadProbeReturn::Ok;
        };
        let sender = sender_of(buffer);
        let from_peer = peer.is_none_or(|peer| is_from_peer(sender.map(|s| s.ip()), peer));
        if buffer.size() == 0 || buffer.size() > MAX_DATAGRAM || !from_peer {
            counter.fetch_add(1, Ordering::Relaxed);
            return gst::PadProbeReturn::Drop;
        }
        let mut first = [0u8; 1];
        let exchange = buffer.copy_to_slice(0, &mut first).is_ok() && is_exchange(&first);
        if exchange {
            match (&hooks.exchange, sender, buffer.map_readable()) {
                (Some(inbox), Some(from), Ok(map)) => inbox(map.as_slice(), from),
                _ => hooks.stray_exchange.add(1),
            }
            return gst::PadProbeReturn::Drop;
        }
        // Not counted: the peer's own BYE at the end of a call is one of these.
        if hooks.drop_bye && buffer.map_readable().is_ok_and(|map| has_bye(&map)) {
            return gst::PadProbeReturn::Drop;
        }
        let admitted = match (&hooks.lock, sender) {
            (Some(lock), Some(from)) => lock.admits(from),
            _ => true,
        };
        if admitted {
            gst::PadProbeReturn::Ok
        } else {
            counter.fetch_add(1, Ordering::Relaxed);
            gst::PadProbeReturn::Drop
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_peer_address_passes() {
        let peer: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(is_from_peer(Some(peer), peer));
        assert!(!is_from_peer(Some("127.0.0.2".parse().unwrap()), peer));
        assert!(!is_from_peer(None, peer));
        assert!(is_from_peer(
            Some("::ffff:127.0.0.1".parse().unwrap()),
            peer
        ));
    }

    #[test]
    fn byes_are_found_anywhere_in_a_compound() {
        // RR (no blocks) then BYE of one SSRC.
        let rr = [0x80, 201, 0, 1, 0x12, 0x34, 0x56, 0x78];
        let bye = [0x81, 203, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd];
        assert!(has_bye(&[rr, bye].concat()));
        assert!(!has_bye(&rr));
        assert!(!has_bye(b"garbage"));
        assert!(!has_bye(&[]));
    }

    #[test]
    fn a_lock_moves_only_on_authenticated_traffic() {
        let t = Instant::now();
        let peer: SocketAddr = "10.0.0.2:5000".parse().unwrap();
        let other: SocketAddr = "10.0.0.2:6000".parse().unwrap();
        let mut lock = LockState::default();
        assert!(
            lock.admits(other, t),
            "unlocked: anyone of the peer's address"
        );
        lock.authenticated(peer);
        assert!(lock.admits(peer, t));
        let admitted = (0..100)
            .filter(|i| lock.admits(other, t + Duration::from_millis(i * 10)))
            .count();
        assert!(
            (5..=11).contains(&admitted),
            "a few candidates a second, {admitted}"
        );
        lock.authenticated(other);
        assert!(lock.admits(other, t + Duration::from_secs(2)));
    }

    #[test]
    fn a_real_udpsrc_drops_and_counts_strangers() {
        gst::init().unwrap();
        let pipeline = gst::parse::launch(
            "udpsrc name=src address=127.0.0.1 port=0 ! appsink name=sink emit-signals=false sync=false",
        )
        .unwrap()
        .downcast::<gst::Pipeline>()
        .unwrap();
        let src = pipeline.by_name("src").unwrap();
        let counter = RejectCounter::default();
        install(
            &src,
            Some("127.0.0.1".parse().unwrap()),
            &counter,
            FilterHooks::default(),
        );
        pipeline.set_state(gst::State::Playing).unwrap();
        let port = loop {
            let p = src.property::<i32>("port");
            if p != 0 {
                break p as u16;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        let stranger = std::net::UdpSocket::bind("127.0.0.2:0").unwrap();
        let friend = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..3 {
            stranger.send_to(b"nope", ("127.0.0.1", port)).unwrap();
        }
        friend
            .send_to(&[0u8; MAX_DATAGRAM + 1], ("127.0.0.1", port))
            .unwrap();
        friend.send_to(b"", ("127.0.0.1", port)).unwrap();
        friend.send_to(b"hello", ("127.0.0.1", port)).unwrap();
        let sink = pipeline
            .by_name("sink")
            .unwrap()
            .downcast::<gst_app::AppSink>()
            .unwrap();
        let sample = sink
            .try_pull_sample(gst::ClockTime::from_seconds(5))
            .expect("the peer's datagram");
        let map = sample.buffer().unwrap().map_readable().unwrap();
        assert_eq!(map.as_slice(), b"hello");
        assert_eq!(counter.get(), 5);
        pipeline.set_state(gst::State::Null).unwrap();
    }
}
