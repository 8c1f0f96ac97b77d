//! Turns `srtpdec`'s counters into one clear line when the peer's packets stop authenticating
//! (a wrong passphrase, or a peer without encryption). Polled from the main loop's timeout; the
//! decision is pure.

use gst::glib;
use gst::prelude::*;

use crate::build::session::SessionCounters;
use crate::build::srtp::decoder_name;
use crate::config::AacPayload;
use crate::config::Medium;

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
#[derive(Debug, Clone)]
pub struct AuthWatch {
    last: (u64, u64),
    failing: bool,
    min_failures: u64,
}

impl Default for AuthWatch {
    fn default() -> AuthWatch {
        AuthWatch::with_min_failures(MIN_FAILURES)
    }
}

impl AuthWatch {
    /// A watch that reports failing after `min` failures in one poll with no success.
    pub fn with_min_failures(min: u64) -> AuthWatch {
        AuthWatch {
            last: (0, 0),
            failing: false,
            min_failures: min,
        }
    }

    /// `received` and `dropped` are srtpdec's totals (`recv-count`, `recv-drop-count`).
    pub fn update(&mut self, received: u64, dropped: u64) -> Option<AuthEvent> {
        let got = received.saturating_sub(self.last.0);
        let failed = dropped.saturating_sub(self.last.1);
        self.last = (received, dropped);
        let authenticated = got.saturating_sub(failed);
        match (self.failing, authenticated, failed) {
            (false, 0, f) if f >= self.min_failures => {
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

/// The line of a plain call whose peer encrypts.
pub fn describe_encrypted_peer(medium: Medium, event: AuthEvent) -> String {
    match event {
        AuthEvent::Failing => format!(
            "the peer's packets are encrypted (SRTP) and this call is plain: give both sides the \
             same passphrase ({} cannot be played)",
            medium.name()
        ),
        AuthEvent::Recovered => format!("the peer's {} RTCP is plain again", medium.name()),
    }
}

/// SRTCP-looking datagrams in one poll with no plain compound that make a plain call's line:
/// a peer reports every 250 ms, so a second has four.
const MIN_ENCRYPTED_RTCP: u64 = 2;

/// Watches one peer's decoders, its plain RTCP and the AAC format it sends.
pub struct PeerMonitor {
    pipeline: glib::WeakRef<gst::Pipeline>,
    watches: [AuthWatch; 2],
    counters: [SessionCounters; 2],
    plain_watches: [AuthWatch; 2],
    aac_format: Option<AacPayload>,
}

impl PeerMonitor {
    pub fn new(pipeline: &gst::Pipeline, counters: &[SessionCounters; 2]) -> PeerMonitor {
        PeerMonitor {
            pipeline: pipeline.downgrade(),
            watches: Default::default(),
            counters: counters.clone(),
            plain_watches: [
                AuthWatch::with_min_failures(MIN_ENCRYPTED_RTCP),
                AuthWatch::with_min_failures(MIN_ENCRYPTED_RTCP),
            ],
            aac_format: None,
        }
    }

    /// Reads the decoders and counters once; returns the lines to show.
    pub fn poll(&mut self) -> Vec<String> {
        let Some(pipeline) = self.pipeline.upgrade() else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        for (medium, (watch, counters)) in [Medium::Video, Medium::Audio]
            .into_iter()
            .zip(self.plain_watches.iter_mut().zip(&self.counters))
        {
            let kinds = &counters.rtcp_kinds;
            let (plain, encrypted) = (kinds.plain.get(), kinds.encrypted.get());
            if let Some(event) = watch.update(plain + encrypted, encrypted) {
                lines.push(describe_encrypted_peer(medium, event));
            }
        }
        let format = self.counters[Medium::Audio.session_id() as usize]
            .aac_format
            .get();
        if format.is_some() && format != self.aac_format {
            self.aac_format = format;
            if let Some(format) = format {
                lines.push(format!("the peer sends {}", format.describe()));
            }
        }
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
        }
        lines
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
