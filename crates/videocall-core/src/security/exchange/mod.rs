//! The key exchange: before media, two peers run SPAKE2 (a balanced PAKE) authenticated by the
//! call passphrase, in-band on the call's video RTP port, and take fresh SRTP master keys from
//! it. A recording tests no passphrase offline, ephemeral keys give forward secrecy, and two
//! words derived from the exchange let people check that no one is in the middle
//! (docs/security.md has the protocol, the key schedule and the threat model).
//!
//! Pure: a state machine of time and messages. `build::key_exchange` carries its datagrams and
//! installs the keys it yields.
//!
//! Roles follow the random instance ids: the lower one initiates. The initiator commits to its
//! SPAKE2 message before it sees the responder's (ZRTP's hash commitment), so a man in the
//! middle who knows the passphrase still cannot steer the two sides to the same words.
//!
//! ```text
//! responder                     initiator
//!   Hello ─────────────────────────>        (either side may start: a Hello to 0 = anyone)
//!         <───────────────────────── Commit  H(msg_i)
//!   Share  msg_r ──────────────────>
//!         <───────────────────────── Reveal  msg_i, confirm_i
//!   Confirm confirm_r ─────────────>
//! ```
//! Every message is resent until the next one arrives; a duplicate is answered with the last
//! reply. A new instance id (a restarted peer) or a higher epoch (a re-key) runs a new exchange
//! beside the keys in use, which change only once it is confirmed.

pub mod schedule;
pub mod wire;

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spake2::{Ed25519Group, Identity, Password, Spake2};

pub use schedule::{CallPassword, EpochSecret, Role};
pub use wire::{Kind, Message};

use crate::security::SrtpSuite;

/// Resend gap while an exchange is young: under 5 % loss it completes within a second.
const RESEND_FAST: Duration = Duration::from_millis(100);
/// Resend gap after [`FAST_FOR`].
const RESEND_SLOW: Duration = Duration::from_millis(500);
const FAST_FOR: Duration = Duration::from_secs(3);
/// A duplicate is answered at most this often, so two eager peers do not echo each other.
const ECHO_GAP: Duration = Duration::from_millis(20);
/// An exchange that does not finish in this long is given up (its peer is gone).
const ATTEMPT_TTL: Duration = Duration::from_secs(10);
/// Exchanges run at once: a restarted peer's exchange is not pushed out by a flood of
/// made-up ones, which the budget also slows.
const MAX_ATTEMPTS: usize = 8;
/// New exchanges per second (each costs two scalar multiplications), with this burst.
const NEW_PER_S: f64 = 10.0;
const NEW_BURST: f64 = 10.0;
const FAILED_REMEMBERED: usize = 8;

/// What the user sees of the exchange (plain data for the statistics).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExchangeStatus {
    /// "waiting" (no peer yet), "exchanging", "established", "failed".
    pub state: String,
    /// The short authentication string of the keys in use.
    pub sas: Option<String>,
    /// The epoch of the keys in use (0 first, +1 per re-key).
    pub epoch: Option<u32>,
    /// Milliseconds from this side's start to its first keys.
    #[serde(default)]
    pub keyed_ms: Option<u64>,
    /// Exchanges confirmed, and those whose confirmation failed (a wrong passphrase).
    pub completed: u64,
    pub failed: u64,
    /// Exchange datagrams received, malformed ones, and well-formed ones that were ignored
    /// (stale, addressed to another instance, over the budget).
    pub received: u64,
    pub malformed: u64,
    pub ignored: u64,
    /// Exchanges started and never finished (given up after 10 s): a peer that left midway, a
    /// forged start, or a middleman who retries.
    #[serde(default)]
    pub abandoned: u64,
}

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The confirmation did not match: the peer used another passphrase (or suite).
    WrongPassphrase,
    /// The initiator revealed a message it had not committed to: an active attack.
    BrokenCommitment,
}

/// What an exchange step means for the call.
#[derive(Debug, Clone)]
pub enum Event {
    /// New keys, confirmed by both sides.
    Established {
        peer: u64,
        epoch: u32,
        /// The words to compare (a re-key keeps those of the keys it replaces).
        words: String,
        /// A peer instance other than the one of the keys before (first keys, or a restart).
        new_peer: bool,
        secret: EpochSecret,
    },
    Failed {
        peer: u64,
        epoch: u32,
        why: Failure,
    },
}

/// Messages to send and, when a step completes, what it means.
#[derive(Debug, Default)]
pub struct Output {
    pub send: Vec<Message>,
    pub event: Option<Event>,
}

enum Step {
    /// Initiator: committed, waiting for the responder's share.
    Committed {
        spake: Spake2<Ed25519Group>,
        msg: Vec<u8>,
    },
    /// Initiator: revealed, waiting for the confirmation.
    Revealed { secret: EpochSecret },
    /// Responder: shared, waiting for the reveal.
    Shared {
        spake: Spake2<Ed25519Group>,
        commit: Vec<u8>,
    },
}

struct Attempt {
    peer: u64,
    epoch: u32,
    /// The keys this re-key replaces: their chain value and their words.
    chain: Option<([u8; 32], String)>,
    step: Option<Step>,
    last: Message,
    created: Instant,
    sent_at: Instant,
}

struct Established {
    peer: u64,
    epoch: u32,
    sas: String,
    chain: [u8; 32],
    /// The responder's last confirmation, resent if the initiator asks again.
    confirm: Option<Message>,
}

struct Failed {
    peer: u64,
    epoch: u32,
    confirm: Option<Message>,
}

/// One peer's side of the exchange.
pub struct Exchange {
    me: u64,
    password: CallPassword,
    suite: SrtpSuite,
    established: Option<Established>,
    attempts: Vec<Attempt>,
    failed: VecDeque<Failed>,
    /// A re-key this (responder) side asked for, until the initiator starts it.
    rekey_wanted: Option<u32>,
    hello_sent: Option<Instant>,
    started: Instant,
    tokens: f64,
    tokens_at: Instant,
    status: ExchangeStatus,
}

fn commitment(msg: &[u8]) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"videocall commit");
    h.update(msg);
    h.finalize().to_vec()
}

fn identity(instance: u64) -> Identity {
    Identity::new(&instance.to_be_bytes())
}

impl Exchange {
    /// `instance` is this process's random id (never 0).
    pub fn new(password: CallPassword, suite: SrtpSuite, instance: u64, now: Instant) -> Exchange {
        Exchange {
            me: instance.max(1),
            password,
            suite,
            established: None,
            attempts: Vec::new(),
            failed: VecDeque::new(),
            rekey_wanted: None,
            hello_sent: None,
            started: now,
            tokens: NEW_BURST,
            tokens_at: now,
            status: ExchangeStatus {
                state: "waiting".into(),
                ..Default::default()
            },
        }
    }

    /// A fresh random instance id.
    pub fn random_instance() -> u64 {
        rand::random::<u64>().max(1)
    }

    pub fn instance(&self) -> u64 {
        self.me
    }

    /// The status for the statistics.
    pub fn status(&self) -> ExchangeStatus {
        let mut status = self.status.clone();
        status.state = match (&self.established, self.attempts.is_empty()) {
            (Some(_), _) => "established",
            (None, false) => "exchanging",
            (None, true) if status.failed > 0 => "failed",
            (None, true) => "waiting",
        }
        .into();
        status.sas = self.established.as_ref().map(|e| e.sas.clone());
        status.epoch = self.established.as_ref().map(|e| e.epoch);
        status
    }

    fn role_with(&self, peer: u64) -> Option<Role> {
        match self.me.cmp(&peer) {
            std::cmp::Ordering::Less => Some(Role::Initiator),
            std::cmp::Ordering::Greater => Some(Role::Responder),
            std::cmp::Ordering::Equal => None,
        }
    }

    fn message(&self, kind: Kind, to: u64, epoch: u32, body: Vec<u8>) -> Message {
        Message {
            kind,
            from: self.me,
            to,
            epoch,
            body,
        }
    }

    /// What the timer sends at `now`: a Hello while no peer answered, a wanted re-key's
    /// Hello, and the last message of every unfinished exchange whose resend time came.
    pub fn poll(&mut self, now: Instant) -> Vec<Message> {
        let before = self.attempts.len();
        self.attempts
            .retain(|a| now.saturating_duration_since(a.created) < ATTEMPT_TTL);
        self.status.abandoned += (before - self.attempts.len()) as u64;
        let gap = |since: Instant| {
            if now.saturating_duration_since(since) < FAST_FOR {
                RESEND_FAST
            } else {
                RESEND_SLOW
            }
        };
        let mut out = Vec::new();
        let hello_due = self
            .hello_sent
            .is_none_or(|t| now.saturating_duration_since(t) >= gap(self.started));
        if hello_due {
            let hello = match (&self.established, self.rekey_wanted) {
                (Some(est), Some(epoch)) => {
                    Some(self.message(Kind::Hello, est.peer, epoch, vec![]))
                }
                (None, _) if self.attempts.is_empty() && self.status.failed == 0 => {
                    Some(self.message(Kind::Hello, 0, 0, vec![]))
                }
                _ => None,
            };
            if let Some(hello) = hello {
                self.hello_sent = Some(now);
                out.push(hello);
            }
        }
        for attempt in &mut self.attempts {
            if now.saturating_duration_since(attempt.sent_at) >= gap(attempt.created) {
                attempt.sent_at = now;
                out.push(attempt.last.clone());
            }
        }
        out
    }

    /// Asks for new keys with the same peer (before the suite's limits): the initiator starts
    /// an exchange at the next epoch, a responder asks it to.
    pub fn rekey(&mut self, now: Instant) -> Vec<Message> {
        let Some(est) = &self.established else {
            return vec![];
        };
        let (peer, epoch) = (est.peer, est.epoch + 1);
        if self
            .attempts
            .iter()
            .any(|a| a.peer == peer && a.epoch >= epoch)
        {
            return vec![];
        }
        match self.role_with(peer) {
            Some(Role::Initiator) => self.start_initiator(peer, epoch, now).into_iter().collect(),
            Some(Role::Responder) => {
                self.rekey_wanted = Some(epoch);
                self.hello_sent = Some(now);
                vec![self.message(Kind::Hello, peer, epoch, vec![])]
            }
            None => vec![],
        }
    }

    /// Takes one datagram of the exchange.
    pub fn receive(&mut self, now: Instant, datagram: &[u8]) -> Output {
        self.status.received += 1;
        let Some(msg) = Message::decode(datagram) else {
            self.status.malformed += 1;
            return Output::default();
        };
        let out = match self.role_with(msg.from) {
            Some(_) if msg.to != 0 && msg.to != self.me => None,
            None => None,
            Some(role) => self.step(now, role, &msg),
        };
        out.unwrap_or_else(|| {
            self.status.ignored += 1;
            Output::default()
        })
    }

    fn is_stale(&self, peer: u64, epoch: u32) -> bool {
        self.established
            .as_ref()
            .is_some_and(|e| e.peer == peer && epoch <= e.epoch)
            || self
                .failed
                .iter()
                .any(|f| f.peer == peer && f.epoch == epoch)
    }

    fn attempt(&mut self, peer: u64, epoch: u32) -> Option<&mut Attempt> {
        self.attempts
            .iter_mut()
            .find(|a| a.peer == peer && a.epoch == epoch)
    }

    /// The last reply of an attempt again, for a duplicate (at most every [`ECHO_GAP`]).
    fn echo(&mut self, now: Instant, peer: u64, epoch: u32) -> Option<Output> {
        let attempt = self.attempt(peer, epoch)?;
        let mut out = Output::default();
        if now.saturating_duration_since(attempt.sent_at) >= ECHO_GAP {
            attempt.sent_at = now;
            out.send.push(attempt.last.clone());
        }
        Some(out)
    }

    /// What an exchange with `peer` at `epoch` chains to: the keys in use, when it re-keys them.
    fn chain_for(&self, peer: u64, epoch: u32) -> Option<([u8; 32], String)> {
        self.established
            .as_ref()
            .filter(|e| e.peer == peer && e.epoch < epoch)
            .map(|e| (e.chain, e.sas.clone()))
    }

    fn take_token(&mut self, now: Instant) -> bool {
        let earned = now.saturating_duration_since(self.tokens_at).as_secs_f64() * NEW_PER_S;
        self.tokens = (self.tokens + earned).min(NEW_BURST);
        self.tokens_at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }

    fn add_attempt(&mut self, attempt: Attempt) {
        if self.attempts.len() == MAX_ATTEMPTS {
            self.attempts.remove(0);
        }
        self.attempts.push(attempt);
    }

    fn start_initiator(&mut self, peer: u64, epoch: u32, now: Instant) -> Option<Message> {
        if !self.take_token(now) {
            return None;
        }
        let (spake, msg) = Spake2::<Ed25519Group>::start_a(
            &Password::new(self.password.bytes()),
            &identity(self.me),
            &identity(peer),
        );
        let commit = self.message(Kind::Commit, peer, epoch, commitment(&msg));
        let chain = self.chain_for(peer, epoch);
        self.add_attempt(Attempt {
            peer,
            epoch,
            chain,
            step: Some(Step::Committed { spake, msg }),
            last: commit.clone(),
            created: now,
            sent_at: now,
        });
        Some(commit)
    }

    fn step(&mut self, now: Instant, role: Role, msg: &Message) -> Option<Output> {
        let (peer, epoch) = (msg.from, msg.epoch);
        match (msg.kind, role) {
            (Kind::Hello, Role::Initiator) => {
                if self.attempt(peer, epoch).is_some() {
                    return self.echo(now, peer, epoch);
                }
                if self.is_stale(peer, epoch) {
                    return None;
                }
                let commit = self.start_initiator(peer, epoch, now)?;
                Some(Output {
                    send: vec![commit],
                    event: None,
                })
            }
            (Kind::Hello, Role::Responder) => {
                // Only the initiator starts; tell it who we are (a Hello to anyone).
                if msg.to != 0 || self.established.as_ref().is_some_and(|e| e.peer == peer) {
                    return None;
                }
                if self
                    .hello_sent
                    .is_some_and(|t| now.saturating_duration_since(t) < ECHO_GAP)
                {
                    return Some(Output::default());
                }
                self.hello_sent = Some(now);
                Some(Output {
                    send: vec![self.message(Kind::Hello, peer, 0, vec![])],
                    event: None,
                })
            }
            (Kind::Commit, Role::Responder) => {
                if let Some(a) = self.attempt(peer, epoch) {
                    let same =
                        matches!(&a.step, Some(Step::Shared { commit, .. }) if *commit == msg.body);
                    return if same {
                        self.echo(now, peer, epoch)
                    } else {
                        None
                    };
                }
                if self.is_stale(peer, epoch) || !self.take_token(now) {
                    return None;
                }
                let (spake, share) = Spake2::<Ed25519Group>::start_b(
                    &Password::new(self.password.bytes()),
                    &identity(peer),
                    &identity(self.me),
                );
                let reply = self.message(Kind::Share, peer, epoch, share);
                if self.rekey_wanted.is_some_and(|e| e <= epoch) {
                    self.rekey_wanted = None;
                }
                let chain = self.chain_for(peer, epoch);
                self.add_attempt(Attempt {
                    peer,
                    epoch,
                    chain,
                    step: Some(Step::Shared {
                        spake,
                        commit: msg.body.clone(),
                    }),
                    last: reply.clone(),
                    created: now,
                    sent_at: now,
                });
                Some(Output {
                    send: vec![reply],
                    event: None,
                })
            }
            (Kind::Share, Role::Initiator) => {
                let suite = self.suite;
                let me = self.me;
                let attempt = self.attempt(peer, epoch)?;
                match attempt.step.take() {
                    Some(Step::Committed { spake, msg: mine }) => {
                        let Ok(k) = spake.finish(&msg.body) else {
                            // Not a point of the group: garbage. The attempt cannot go on.
                            self.attempts
                                .retain(|a| !(a.peer == peer && a.epoch == epoch));
                            return None;
                        };
                        let chain = attempt.chain.as_ref().map(|(c, _)| c);
                        let secret = EpochSecret::new(&k, suite, epoch, Role::Initiator, chain);
                        let mut body = mine;
                        body.extend_from_slice(&secret.confirmation(Role::Initiator));
                        let reveal = Message {
                            kind: Kind::Reveal,
                            from: me,
                            to: peer,
                            epoch,
                            body,
                        };
                        attempt.step = Some(Step::Revealed { secret });
                        attempt.last = reveal.clone();
                        attempt.sent_at = now;
                        Some(Output {
                            send: vec![reveal],
                            event: None,
                        })
                    }
                    other => {
                        attempt.step = other;
                        self.echo(now, peer, epoch)
                    }
                }
            }
            (Kind::Reveal, Role::Responder) => self.on_reveal(now, msg),
            (Kind::Confirm, Role::Initiator) => {
                let attempt = self.attempt(peer, epoch)?;
                let Some(Step::Revealed { secret }) = &attempt.step else {
                    return None;
                };
                let ok = secret.peer_confirms(&msg.body);
                let secret = secret.clone();
                let words = attempt.chain.as_ref().map(|(_, w)| w.clone());
                self.attempts
                    .retain(|a| !(a.peer == peer && a.epoch == epoch));
                Some(if ok {
                    self.establish(now, peer, epoch, secret, words, None)
                } else {
                    self.fail(peer, epoch, Failure::WrongPassphrase, None)
                })
            }
            _ => None,
        }
    }

    fn on_reveal(&mut self, now: Instant, msg: &Message) -> Option<Output> {
        let (peer, epoch) = (msg.from, msg.epoch);
        // A duplicate after the end: the confirmation again.
        let done = self
            .established
            .as_ref()
            .filter(|e| e.peer == peer && e.epoch == epoch)
            .and_then(|e| e.confirm.clone())
            .or_else(|| {
                self.failed
                    .iter()
                    .find(|f| f.peer == peer && f.epoch == epoch)
                    .and_then(|f| f.confirm.clone())
            });
        if let Some(confirm) = done {
            return Some(Output {
                send: vec![confirm],
                event: None,
            });
        }
        let suite = self.suite;
        let attempt = self.attempt(peer, epoch)?;
        let Some(Step::Shared { spake, commit }) = attempt.step.take() else {
            return None;
        };
        let chain = attempt.chain.clone();
        let (their_msg, their_confirm) = msg.body.split_at(wire::SPAKE2_MSG);
        self.attempts
            .retain(|a| !(a.peer == peer && a.epoch == epoch));
        if commitment(their_msg) != commit {
            return Some(self.fail(peer, epoch, Failure::BrokenCommitment, None));
        }
        let Ok(k) = spake.finish(their_msg) else {
            return Some(self.fail(peer, epoch, Failure::BrokenCommitment, None));
        };
        let secret = EpochSecret::new(
            &k,
            suite,
            epoch,
            Role::Responder,
            chain.as_ref().map(|(c, _)| c),
        );
        let words = chain.map(|(_, w)| w);
        let confirm = self.message(
            Kind::Confirm,
            peer,
            epoch,
            secret.confirmation(Role::Responder).to_vec(),
        );
        let mut out = if secret.peer_confirms(their_confirm) {
            self.establish(now, peer, epoch, secret, words, Some(confirm.clone()))
        } else {
            self.fail(peer, epoch, Failure::WrongPassphrase, Some(confirm.clone()))
        };
        out.send.push(confirm);
        Some(out)
    }

    fn establish(
        &mut self,
        now: Instant,
        peer: u64,
        epoch: u32,
        secret: EpochSecret,
        words: Option<String>,
        confirm: Option<Message>,
    ) -> Output {
        if self.status.keyed_ms.is_none() {
            let ms = now.saturating_duration_since(self.started).as_millis();
            self.status.keyed_ms = Some(u64::try_from(ms).unwrap_or(u64::MAX));
        }
        let new_peer = self.established.as_ref().is_none_or(|e| e.peer != peer);
        self.established = Some(Established {
            peer,
            epoch,
            sas: words.unwrap_or_else(|| secret.sas()),
            chain: secret.chain(),
            confirm,
        });
        self.attempts.retain(|a| a.peer != peer || a.epoch > epoch);
        if self.rekey_wanted.is_some_and(|e| e <= epoch) || new_peer {
            self.rekey_wanted = None;
        }
        self.status.completed += 1;
        Output {
            send: vec![],
            event: Some(Event::Established {
                peer,
                epoch,
                words: self
                    .established
                    .as_ref()
                    .map(|e| e.sas.clone())
                    .unwrap_or_default(),
                new_peer,
                secret,
            }),
        }
    }

    fn fail(&mut self, peer: u64, epoch: u32, why: Failure, confirm: Option<Message>) -> Output {
        if self.failed.len() == FAILED_REMEMBERED {
            self.failed.pop_front();
        }
        self.failed.push_back(Failed {
            peer,
            epoch,
            confirm,
        });
        self.status.failed += 1;
        Output {
            send: vec![],
            event: Some(Event::Failed { peer, epoch, why }),
        }
    }
}

#[cfg(test)]
mod tests;
