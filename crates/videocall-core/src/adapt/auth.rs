//! The peer watch: one clear line for the user when the peer's packets stop authenticating (a
//! wrong passphrase, or a peer without encryption: `srtpdec`'s counters), when a plain call's
//! peer encrypts (SRTCP on the plain RTCP socket, `stats::plain_watch`), and which AAC format
//! the peer sends.

use super::adapter::{Action, Controller};
use crate::config::AacPayload;
use crate::config::Medium;
use crate::stats::RawSample;

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

/// Packets with no key in one look, while no exchange answered, that make the "plain peer" line.
const MIN_UNKEYED: u64 = 5;

/// The line for keys agreed at `epoch` with `words`.
pub fn describe_keys(epoch: u32, words: &str) -> String {
    if epoch == 0 {
        format!(
            "keys agreed with the peer; words \"{words}\": read them to each other, the same \
             words mean no one is in the middle"
        )
    } else {
        format!(
            "new keys agreed with the peer (epoch {epoch}), chained to the last; words still \"{words}\""
        )
    }
}

/// The line for a failed exchange.
pub const WRONG_PASSPHRASE: &str = "the key exchange failed: the peer's passphrase differs (or \
    its --srtp-suite); no media flows until both sides use the same";

/// The line of an encrypted call whose peer sends media but no key exchange.
pub const NO_EXCHANGE: &str = "the peer sends packets but runs no key exchange: it has no \
    passphrase (plain RTP) or is an older videocall; give both sides the same passphrase";

/// Watches one peer's key exchange, decoders, its plain RTCP and the AAC format it sends.
#[derive(Debug, Clone)]
pub struct PeerWatch {
    watches: [AuthWatch; 2],
    plain_watches: [AuthWatch; 2],
    aac_format: Option<AacPayload>,
    /// The exchange's failed count, and the epoch and words of the keys in use, last told.
    exchange: (u64, Option<(u32, String)>),
    /// Packets with no key so far, and whether the "no exchange" line was told.
    unkeyed: (u64, bool),
}

impl Default for PeerWatch {
    fn default() -> PeerWatch {
        PeerWatch {
            watches: Default::default(),
            plain_watches: [
                AuthWatch::with_min_failures(MIN_ENCRYPTED_RTCP),
                AuthWatch::with_min_failures(MIN_ENCRYPTED_RTCP),
            ],
            aac_format: None,
            exchange: (0, None),
            unkeyed: (0, false),
        }
    }
}

impl Controller for PeerWatch {
    /// Tells what changed since the last look (once a second: the thresholds are per look).
    fn tick(&mut self, sample: &RawSample, _now: f64, actions: &mut Vec<Action>) {
        let media = [Medium::Video, Medium::Audio];
        for (medium, watch) in media.into_iter().zip(&mut self.plain_watches) {
            let m = sample.medium(medium);
            // Exchange datagrams off the exchange's socket of an encrypted call are not a sign.
            let stray = if sample.exchange.is_none() {
                m.stray_exchange
            } else {
                0
            };
            let kinds = m.rtcp_kinds;
            // SRTCP, or key-exchange datagrams, at a plain session: the peer encrypts.
            let encrypted = kinds.encrypted + stray;
            if let Some(event) = watch.update(kinds.plain + encrypted, encrypted) {
                actions.push(Action::Tell(describe_encrypted_peer(medium, event)));
            }
        }
        if let Some(x) = &sample.exchange {
            if x.failed > self.exchange.0 {
                actions.push(Action::Tell(WRONG_PASSPHRASE.into()));
            }
            let keys = x.epoch.zip(x.sas.clone());
            if keys != self.exchange.1
                && let Some((epoch, words)) = &keys
            {
                actions.push(Action::Tell(describe_keys(*epoch, words)));
            }
            self.exchange = (x.failed, keys);
            let unkeyed = sample.video.unkeyed + sample.audio.unkeyed;
            let fresh = unkeyed.saturating_sub(self.unkeyed.0);
            if x.state == "waiting" && fresh >= MIN_UNKEYED && !self.unkeyed.1 {
                self.unkeyed.1 = true;
                actions.push(Action::Tell(NO_EXCHANGE.into()));
            }
            self.unkeyed.0 = unkeyed;
        }
        let format = sample.audio.aac_format;
        if format.is_some() && format != self.aac_format {
            self.aac_format = format;
            if let Some(format) = format {
                actions.push(Action::Tell(format!(
                    "the peer sends {}",
                    format.describe()
                )));
            }
        }
        for (medium, watch) in media.into_iter().zip(&mut self.watches) {
            let Some(srtp) = sample.medium(medium).srtp else {
                continue;
            };
            if let Some(event) = watch.update(srtp.received, srtp.dropped) {
                actions.push(Action::Tell(describe(medium, event)));
            }
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
    fn the_watch_tells_each_change_once() {
        use crate::stats::model::{RtcpKindCounts, SrtpCounts};
        let mut watch = PeerWatch::default();
        let mut sample = RawSample::default();
        let mut look = |sample: &RawSample| {
            let mut actions = Vec::new();
            watch.tick(sample, 0.0, &mut actions);
            actions
        };
        assert!(look(&sample).is_empty(), "a plain call with nothing yet");
        sample.audio.rtcp_kinds = RtcpKindCounts {
            plain: 0,
            encrypted: 4,
        };
        sample.audio.aac_format = Some(AacPayload::Latm);
        sample.video.srtp = Some(SrtpCounts {
            received: 100,
            dropped: 100,
        });
        let told = look(&sample);
        let lines: Vec<&str> = told
            .iter()
            .map(|a| match a {
                Action::Tell(line) => line.as_str(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("the peer's packets are encrypted (SRTP) and this call is plain")
        );
        assert_eq!(lines[1], "the peer sends AAC as RFC 6416 MP4A-LATM");
        assert!(lines[2].starts_with("the peer's packets fail authentication"));
        assert!(look(&sample).is_empty(), "nothing new");
    }

    #[test]
    fn the_exchange_is_told_once_per_change() {
        use crate::security::exchange::ExchangeStatus;
        let mut watch = PeerWatch::default();
        let mut look = |sample: &RawSample| {
            let mut actions = Vec::new();
            watch.tick(sample, 0.0, &mut actions);
            actions
                .into_iter()
                .map(|a| match a {
                    Action::Tell(line) => line,
                    other => panic!("{other:?}"),
                })
                .collect::<Vec<_>>()
        };
        let mut sample = RawSample {
            exchange: Some(ExchangeStatus {
                state: "waiting".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        sample.video.unkeyed = 50;
        assert_eq!(look(&sample), vec![NO_EXCHANGE.to_string()]);
        sample.video.unkeyed = 100;
        assert!(look(&sample).is_empty(), "told once");
        let x = sample.exchange.as_mut().unwrap();
        (x.state, x.epoch, x.sas) = ("established".into(), Some(0), Some("apple zoo".into()));
        let told = look(&sample);
        assert_eq!(told.len(), 1);
        assert!(told[0].contains("\"apple zoo\""), "{told:?}");
        assert!(look(&sample).is_empty());
        // A restarted peer: epoch 0 again, new words, told again.
        sample.exchange.as_mut().unwrap().sas = Some("zoo apple".into());
        assert_eq!(look(&sample).len(), 1);
        sample.exchange.as_mut().unwrap().failed = 1;
        assert_eq!(look(&sample), vec![WRONG_PASSPHRASE.to_string()]);
    }

    #[test]
    fn the_message_is_the_documented_one() {
        assert!(
            describe(Medium::Video, AuthEvent::Failing)
                .starts_with("the peer's packets fail authentication: check the passphrase")
        );
    }
}
