//! Only the peer gets in: a probe on each receiving `udpsrc` drops datagrams whose sender
//! (udpsrc's `GstNetAddressMeta`) is not the configured peer address, and datagrams larger than
//! any a peer sends, before they reach the RTP session, and counts them. (The RTP session keeps
//! the packets of an unvalidated sender while it waits for the next one: 64 KiB garbage
//! datagrams with made-up SSRCs would add up.) This is the one per-buffer Rust hook of the security feature:
//! udpsrc cannot filter by sender itself, and a connected socket would need the peer's source
//! port, which nobody agreed on.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

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

/// Makes `udpsrc` report senders and drops every buffer larger than [`MAX_DATAGRAM`] or, when
/// `peer` is given, not from `peer`, counting it.
pub fn install(udpsrc: &gst::Element, peer: Option<IpAddr>, counter: &RejectCounter) {
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
        let from_peer = || {
            let sender = buffer
                .meta::<gst_net::NetAddressMeta>()
                .and_then(|meta| meta.addr().downcast::<gio::InetSocketAddress>().ok())
                .map(|addr| IpAddr::from(addr.address()));
            peer.is_none_or(|peer| is_from_peer(sender, peer))
        };
        if buffer.size() <= MAX_DATAGRAM && from_peer() {
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
        install(&src, Some("127.0.0.1".parse().unwrap()), &counter);
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
        assert_eq!(counter.get(), 4);
        pipeline.set_state(gst::State::Null).unwrap();
    }
}
