//! Carries the key exchange (`security::exchange`) in the running pipeline: its datagrams
//! arrive through the video RTP socket's filter probe and leave from the video RTP sender's
//! own socket (so the peer sees them from where our media comes), a main-loop timer resends
//! them, and the keys it yields go into each session's `srtpenc`/`srtpdec`
//! ([`KeySlot::install`]). Then the send gates open and a key frame goes out.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;
use gst_net::gio;
use gst_net::gio::prelude::*;

use crate::build::source_filter::{ExchangeInbox, SourceLock};
use crate::build::srtp::KeySlot;
use crate::config::Medium;
use crate::plan::names;
use crate::plan::peer::ExchangePlan;
use crate::security::SrtpKey;
use crate::security::exchange::{Event, Exchange, ExchangeStatus, Failure, Message};

/// How often the exchange's timer runs (resends are spaced by the exchange itself).
const TIMER: Duration = Duration::from_millis(50);

/// One medium's share of the exchange's results.
#[derive(Clone)]
pub struct SessionKeying {
    pub medium: Medium,
    pub slot: KeySlot,
    /// The RTP and RTCP sockets' locks, when the call locks to authenticated senders.
    pub locks: Option<(SourceLock, SourceLock)>,
}

/// The running exchange of one peer. Cheap to clone.
#[derive(Clone)]
pub struct KeyExchange(Arc<Inner>);

struct Inner {
    machine: Mutex<Exchange>,
    plan: ExchangePlan,
    sessions: Vec<SessionKeying>,
    pipeline: glib::WeakRef<gst::Pipeline>,
    rekey: Mutex<Rekey>,
    timer: Mutex<Option<glib::SourceId>>,
}

/// Packets sent when the keys in use came, and whether a re-key was asked for them.
#[derive(Default)]
struct Rekey {
    epoch: Option<u32>,
    baseline: u64,
    asked: bool,
}

impl KeyExchange {
    pub fn new(
        plan: ExchangePlan,
        sessions: Vec<SessionKeying>,
        pipeline: &gst::Pipeline,
    ) -> KeyExchange {
        let machine = Exchange::new(
            plan.password.clone(),
            plan.suite,
            Exchange::random_instance(),
            Instant::now(),
        );
        KeyExchange(Arc::new(Inner {
            machine: Mutex::new(machine),
            plan,
            sessions,
            pipeline: pipeline.downgrade(),
            rekey: Mutex::default(),
            timer: Mutex::default(),
        }))
    }

    /// The keying of `medium`'s session.
    pub fn session(&self, medium: Medium) -> Option<&SessionKeying> {
        self.0.sessions.iter().find(|s| s.medium == medium)
    }

    /// The session whose RTP socket carries the exchange.
    pub fn carrier(&self) -> u32 {
        self.0.plan.session
    }

    /// What the carrier socket's probe calls with each exchange datagram.
    pub fn inbox(&self) -> ExchangeInbox {
        let weak = Arc::downgrade(&self.0);
        Arc::new(move |datagram: &[u8], _from| {
            if let Some(inner) = weak.upgrade() {
                inner.receive(datagram);
            }
        })
    }

    /// Sends the first Hello and starts the resend timer (on the default main context, which
    /// the call's main loop runs). Call once the pipeline plays.
    pub fn start(&self) {
        self.0.poll();
        let weak: Weak<Inner> = Arc::downgrade(&self.0);
        let id = glib::timeout_add(TIMER, move || match weak.upgrade() {
            Some(inner) => {
                inner.poll();
                glib::ControlFlow::Continue
            }
            None => glib::ControlFlow::Break,
        });
        if let Ok(mut timer) = self.0.timer.lock()
            && let Some(old) = timer.replace(id)
        {
            old.remove();
        }
    }

    pub fn stop(&self) {
        if let Some(id) = self.0.timer.lock().ok().and_then(|mut t| t.take()) {
            id.remove();
        }
    }

    /// Each tick of the call: prunes decoder streams that never authenticated, and asks for new
    /// keys once `packets_sent` (all media, since the call began) passed the re-key point.
    pub fn tick(&self, packets_sent: u64) {
        for session in &self.0.sessions {
            session.slot.prune();
        }
        let epoch = self.status().epoch;
        let Ok(mut rekey) = self.0.rekey.lock() else {
            return;
        };
        if epoch != rekey.epoch {
            *rekey = Rekey {
                epoch,
                baseline: packets_sent,
                asked: false,
            };
            return;
        }
        if epoch.is_some()
            && !rekey.asked
            && packets_sent.saturating_sub(rekey.baseline) >= self.0.plan.rekey_after_packets
        {
            rekey.asked = true;
            drop(rekey);
            let messages = self
                .0
                .machine
                .lock()
                .map(|mut m| m.rekey(Instant::now()))
                .unwrap_or_default();
            tracing::info!(
                "re-keying after {} packets",
                self.0.plan.rekey_after_packets
            );
            self.0.send(&messages);
        }
    }

    pub fn status(&self) -> ExchangeStatus {
        self.0
            .machine
            .lock()
            .map(|m| m.status())
            .unwrap_or_default()
    }

    /// The key we send `medium` with, once the exchange gave one.
    pub fn send_key(&self, medium: Medium) -> Option<SrtpKey> {
        self.session(medium)?.slot.send_key()
    }
}

impl Inner {
    fn poll(&self) {
        let messages = match self.machine.lock() {
            Ok(mut m) => m.poll(Instant::now()),
            Err(_) => return,
        };
        self.send(&messages);
    }

    fn receive(&self, datagram: &[u8]) {
        let out = match self.machine.lock() {
            Ok(mut m) => m.receive(Instant::now(), datagram),
            Err(_) => return,
        };
        self.send(&out.send);
        match out.event {
            Some(Event::Established {
                epoch,
                new_peer,
                secret,
                words,
                ..
            }) => {
                for session in &self.sessions {
                    session
                        .slot
                        .install(secret.session_keys(session.medium.name()));
                    if new_peer && let Some((rtp, rtcp)) = &session.locks {
                        rtp.unlock();
                        rtcp.unlock();
                    }
                }
                self.open_gates_and_send_a_key_frame();
                tracing::info!("keys of epoch {epoch} in use; words: {words}");
            }
            Some(Event::Failed { why, .. }) => match why {
                Failure::WrongPassphrase => {
                    tracing::warn!("key exchange: the peer's passphrase differs")
                }
                Failure::BrokenCommitment => {
                    tracing::warn!("key exchange: the peer broke its commitment (an attack?)")
                }
            },
            None => {}
        }
    }

    fn open_gates_and_send_a_key_frame(&self) {
        let Some(pipeline) = self.pipeline.upgrade() else {
            return;
        };
        for session in &self.sessions {
            let id = session.medium.session_id();
            for rtcp in [false, true] {
                if let Some(gate) = pipeline.by_name(&names::send_gate(id, rtcp)) {
                    gate.set_property("drop", false);
                }
            }
        }
        if let Some(pad) = pipeline
            .by_name(names::VIDEO_ENCODER)
            .and_then(|e| e.static_pad("src"))
        {
            let event = gst_video::UpstreamForceKeyUnitEvent::builder()
                .all_headers(true)
                .build();
            pad.send_event(event);
        }
    }

    fn send(&self, messages: &[Message]) {
        if messages.is_empty() {
            return;
        }
        let Some(socket) = self
            .pipeline
            .upgrade()
            .and_then(|p| p.by_name(&names::udpsink_rtp(self.plan.session)))
            .and_then(|sink| {
                // udpsink keeps one socket per address family.
                let family = if self.plan.peer.is_ipv6() {
                    "used-socket-v6"
                } else {
                    "used-socket"
                };
                sink.property::<Option<gio::Socket>>(family)
            })
        else {
            return;
        };
        let to = gio::InetSocketAddress::from(self.plan.peer);
        for message in messages {
            if let Err(e) = socket.send_to(Some(&to), message.encode(), None::<&gio::Cancellable>) {
                tracing::debug!("key exchange: cannot send to {}: {e}", self.plan.peer);
            }
        }
    }
}
