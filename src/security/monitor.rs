//! Turns `srtpdec`'s counters into one clear line when the peer's packets stop authenticating
//! (a wrong passphrase, or a peer without encryption), and forgets the SRTP streams that
//! garbage with made-up SSRCs created. Polled from the main loop's timeout; the decision is pure.

use gst::glib;
use gst::prelude::*;

use super::srtp::decoder_name;
use crate::rtp::Medium;

/// What a change in the counters means for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEvent {
    /// Packets arrive and none authenticates.
    Failing,
    /// Packets authenticate again after [`AuthEvent::Failing`].
    Recovered,
}

/// Fewer failures than this in one poll are noise (a stray or replayed datagram), not a peer.
const MIN_FAILURES: u64 = 5;

/// Follows one decoder's totals from poll to poll.
#[derive(Debug, Default, Clone)]
pub struct AuthWatch {
    last: (u64, u64),
    failing: bool,
}

impl AuthWatch {
    /// `received` and `dropped` are srtpdec's totals (`recv-count`, `recv-drop-count`).
    pub fn update(&mut self, received: u64, dropped: u64) -> Option<AuthEvent> {
        let got = received.saturating_sub(self.last.0);
        let failed = dropped.saturating_sub(self.last.1);
        self.last = (received, dropped);
        let authenticated = got.saturating_sub(failed);
        match (self.failing, authenticated, failed) {
            (false, 0, f) if f >= MIN_FAILURES => {
                self.failing = true;
                Some(AuthEvent::Failing)
            }
            (true, a, _) if a > 0 => {
                self.failing = false;
                Some(AuthEvent::Recovered)
            }
            _ => None,
        }
    }
}

/// The user's line for an event.
pub fn describe(medium: Medium, event: AuthEvent) -> String {
    match event {
        AuthEvent::Failing => format!(
            "the peer's packets fail authentication: check the passphrase ({} packets are \
             dropped; a peer without a passphrase, or with another --srtp-suite, looks the same)",
            medium.name()
        ),
        AuthEvent::Recovered => format!("the peer's {} packets authenticate again", medium.name()),
    }
}

/// Watches one peer's decoders.
pub struct PeerMonitor {
    pipeline: glib::WeakRef<gst::Pipeline>,
    watches: [AuthWatch; 2],
}

impl PeerMonitor {
    pub fn new(pipeline: &gst::Pipeline) -> PeerMonitor {
        PeerMonitor {
            pipeline: pipeline.downgrade(),
            watches: Default::default(),
        }
    }

    /// Reads the decoders once; returns the lines to show.
    pub fn poll(&mut self) -> Vec<String> {
        let Some(pipeline) = self.pipeline.upgrade() else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for (medium, watch) in [Medium::Video, Medium::Audio]
            .into_iter()
            .zip(&mut self.watches)
        {
            let Some(dec) = pipeline.by_name(&decoder_name(medium.session_id())) else {
                continue;
            };
            let stats = dec.property::<gst::Structure>("stats");
            let count = |field| u64::from(stats.get::<u32>(field).unwrap_or(0));
            if let Some(event) = watch.update(count("recv-count"), count("recv-drop-count")) {
                lines.push(describe(medium, event));
            }
            forget_unauthenticated_streams(&dec, &stats);
        }
        lines
    }
}

/// srtpdec makes a libsrtp stream for every SSRC it sees, before authenticating: datagrams
/// with made-up SSRCs would pile them up. Streams that never authenticated a packet are removed
/// (a real sender's stream, once it authenticates, stays).
fn forget_unauthenticated_streams(dec: &gst::Element, stats: &gst::StructureRef) {
    let Ok(streams) = stats.get::<gst::Array>("streams") else {
        return;
    };
    for stream in streams
        .iter()
        .filter_map(|v| v.get::<gst::Structure>().ok())
    {
        let received = stream.get::<u32>("recv-count").unwrap_or(0);
        let dropped = stream.get::<u32>("recv-drop-count").unwrap_or(0);
        if let Ok(ssrc) = stream.get::<u32>("ssrc")
            && received > 0
            && received == dropped
        {
            dec.emit_by_name::<()>("remove-key", &[&ssrc]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_failing_is_reported_once_then_recovery() {
        let mut w = AuthWatch::default();
        assert_eq!(w.update(0, 0), None);
        assert_eq!(w.update(100, 100), Some(AuthEvent::Failing));
        assert_eq!(w.update(200, 200), None);
        assert_eq!(w.update(300, 250), Some(AuthEvent::Recovered));
        assert_eq!(w.update(400, 250), None);
    }

    #[test]
    fn garbage_among_good_packets_or_a_few_failures_is_not_a_wrong_passphrase() {
        let mut w = AuthWatch::default();
        assert_eq!(w.update(100, 60), None);
        assert_eq!(w.update(103, 63), None);
        assert_eq!(w.update(103, 63), None);
        // Counters restart (decoder went back to READY): no panic, no false alarm.
        assert_eq!(w.update(10, 0), None);
    }

    #[test]
    fn the_message_is_the_documented_one() {
        assert!(
            describe(Medium::Video, AuthEvent::Failing)
                .starts_with("the peer's packets fail authentication: check the passphrase")
        );
    }
}
