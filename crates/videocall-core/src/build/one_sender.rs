//! One sender per session at a time. Every sender's pad feeds the depayloader through a funnel
//! (a restarted peer has a new SSRC and must take over), but two live senders interleaved in
//! one depayloader corrupt each other: a forged stream next to the peer's froze the picture
//! until it stopped. So the sender that has the session keeps it while it sends; another
//! takes over once the current one has been silent for [`TAKEOVER_SILENCE`] (a peer that
//! restarted, or changed its SSRC after a collision). Packets of the others are dropped and
//! counted. A per-buffer hook on rtpbin's output pads: one comparison and one store a packet.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use gst::prelude::*;

use crate::build::source_filter::RejectCounter;

/// How long the sender that has the session must be silent before another takes over: ten
/// video frames, about fifteen audio packets; far less than a restart takes.
pub const TAKEOVER_SILENCE: Duration = Duration::from_millis(400);

/// What to do with a packet of `ssrc` arriving `now_ns` (nanoseconds since the session's
/// clock started), when `owner` last sent at `owner_last_ns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// The owner's packet.
    Pass,
    /// No owner, or the owner fell silent: this sender takes the session.
    TakeOver,
    /// Another sender while the owner is live.
    Drop,
}

/// The decision, pure: see [`Admit`].
pub fn admit(owner: Option<u32>, owner_last_ns: u64, ssrc: u32, now_ns: u64) -> Admit {
    match owner {
        Some(owner) if owner == ssrc => Admit::Pass,
        Some(_) if now_ns.saturating_sub(owner_last_ns) < TAKEOVER_SILENCE.as_nanos() as u64 => {
            Admit::Drop
        }
        _ => Admit::TakeOver,
    }
}

/// The session's owner, shared by the probes of its senders' pads.
#[derive(Debug, Clone)]
pub struct SenderLock {
    started: Instant,
    /// The owner's SSRC in the low 32 bits, bit 32 set when there is one.
    owner: Arc<AtomicU64>,
    owner_last_ns: Arc<AtomicU64>,
    dropped: RejectCounter,
}

impl SenderLock {
    /// A lock that counts the packets it drops in `dropped`.
    pub fn new(dropped: RejectCounter) -> SenderLock {
        SenderLock {
            started: Instant::now(),
            owner: Arc::default(),
            owner_last_ns: Arc::default(),
            dropped,
        }
    }

    /// Installs the lock on the pad rtpbin made for sender `ssrc`.
    pub fn install(&self, pad: &gst::Pad, ssrc: u32) {
        let lock = self.clone();
        pad.add_probe(
            gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
            move |_, _| {
                let now = lock.started.elapsed().as_nanos() as u64;
                let raw = lock.owner.load(Ordering::Acquire);
                let owner = (raw >> 32 == 1).then_some(raw as u32);
                match admit(owner, lock.owner_last_ns.load(Ordering::Relaxed), ssrc, now) {
                    Admit::Pass => {
                        lock.owner_last_ns.store(now, Ordering::Relaxed);
                        gst::PadProbeReturn::Ok
                    }
                    Admit::TakeOver => {
                        let mine = (1u64 << 32) | u64::from(ssrc);
                        // Two newcomers at once: the first one wins.
                        if lock
                            .owner
                            .compare_exchange(raw, mine, Ordering::AcqRel, Ordering::Acquire)
                            .is_ok()
                        {
                            lock.owner_last_ns.store(now, Ordering::Relaxed);
                            tracing::info!(ssrc, "a new sender has the session");
                            gst::PadProbeReturn::Ok
                        } else {
                            lock.dropped.add(1);
                            gst::PadProbeReturn::Drop
                        }
                    }
                    Admit::Drop => {
                        lock.dropped.add(1);
                        gst::PadProbeReturn::Drop
                    }
                }
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn the_first_sender_takes_the_session_and_keeps_it_while_it_sends() {
        assert_eq!(admit(None, 0, 7, 0), Admit::TakeOver);
        assert_eq!(admit(Some(7), 0, 7, 5 * MS), Admit::Pass);
        assert_eq!(
            admit(Some(7), 100 * MS, 9, 120 * MS),
            Admit::Drop,
            "a forger"
        );
        assert_eq!(admit(Some(7), 100 * MS, 9, 499 * MS), Admit::Drop);
    }

    #[test]
    fn another_sender_takes_over_once_the_owner_is_silent() {
        let silent = TAKEOVER_SILENCE.as_nanos() as u64;
        assert_eq!(
            admit(Some(7), 100 * MS, 9, 100 * MS + silent),
            Admit::TakeOver
        );
        assert_eq!(
            admit(Some(7), 0, 7, 10 * silent),
            Admit::Pass,
            "the owner is back"
        );
    }
}
