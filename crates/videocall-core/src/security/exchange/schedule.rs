//! The key schedule: from SPAKE2's shared secret to the confirmations, the short authentication
//! string and every SRTP master key of one epoch.
//!
//! ```text
//! passphrase ──HKDF-SHA256(salt "videocall/pake/v3")──> SPAKE2 password
//! SPAKE2(password, ids, initiator msg, responder msg) ──> K (32 bytes, fresh per exchange)
//! PRK = HKDF-Extract(salt = "videocall/exchange/v3" | suite | epoch [| previous chain], K)
//!   ├─ "confirm initiator" ─> 32 bytes   (in Reveal)
//!   ├─ "confirm responder" ─> 32 bytes   (in Confirm)
//!   ├─ "sas"               ─> 22 bits    (two words of the BIP-39 English list; a re-key
//!   │                                     keeps the words of the keys it replaces)
//!   ├─ "chain"             ─> 32 bytes   (mixed into the next epoch's salt: a re-key needs
//!   │                                     the keys it replaces)
//!   └─ "srtp <suite> <medium> from initiator|responder" ─> master key + salt
//! ```

use std::fmt;

use hkdf::Hkdf;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::security::{SessionKeys, SrtpKey, SrtpSuite};

/// The passphrase as SPAKE2's password. A memory-hard hash is not needed: SPAKE2 lets a
/// recording test no guess offline, and an active guess costs a whole exchange each.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CallPassword([u8; 32]);

impl CallPassword {
    /// Refuses an empty passphrase (empty means "no encryption" to the caller).
    pub fn from_passphrase(passphrase: &str) -> Result<CallPassword, String> {
        if passphrase.is_empty() {
            return Err("the passphrase is empty".into());
        }
        let mut out = [0u8; 32];
        Hkdf::<Sha256>::new(Some(b"videocall/pake/v3"), passphrase.as_bytes())
            .expand(b"spake2 password", &mut out)
            .expect("32 bytes is within HKDF's limit");
        Ok(CallPassword(out))
    }

    pub(super) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for CallPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallPassword(<redacted>)")
    }
}

impl PartialEq for CallPassword {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

/// Which end of an exchange a peer is: the lower instance id initiates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Initiator,
    Responder,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Initiator => "initiator",
            Role::Responder => "responder",
        }
    }

    fn other(self) -> Role {
        match self {
            Role::Initiator => Role::Responder,
            Role::Responder => Role::Initiator,
        }
    }
}

/// One exchange's keying material. Never printed; wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct EpochSecret {
    prk: [u8; 32],
    #[zeroize(skip)]
    suite: SrtpSuite,
    #[zeroize(skip)]
    role: Role,
}

impl fmt::Debug for EpochSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EpochSecret(<redacted>)")
    }
}

impl EpochSecret {
    /// From SPAKE2's output `k`, for `suite` at `epoch`, seen from `role`; a re-key also mixes
    /// in the `chain` value of the keys it replaces, so only a party that held those can take
    /// part (a man in the middle who knows the passphrase cannot step in at a re-key).
    pub fn new(
        k: &[u8],
        suite: SrtpSuite,
        epoch: u32,
        role: Role,
        chain: Option<&[u8; 32]>,
    ) -> EpochSecret {
        let mut salt = format!("videocall/exchange/v3 {} {epoch}", suite.name()).into_bytes();
        if let Some(chain) = chain {
            salt.extend_from_slice(chain);
        }
        let (prk, _) = Hkdf::<Sha256>::extract(Some(&salt), k);
        EpochSecret {
            prk: prk.into(),
            suite,
            role,
        }
    }

    fn expand(&self, info: &str, out: &mut [u8]) {
        Hkdf::<Sha256>::from_prk(&self.prk)
            .expect("a SHA-256 PRK")
            .expand(info.as_bytes(), out)
            .expect("far shorter than HKDF's limit");
    }

    /// The confirmation `role` sends.
    pub fn confirmation(&self, role: Role) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.expand(&format!("confirm {}", role.name()), &mut out);
        out
    }

    /// What the next epoch's keys are chained to.
    pub fn chain(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        self.expand("chain", &mut out);
        out
    }

    /// Compares the peer's confirmation in constant time.
    pub fn peer_confirms(&self, got: &[u8]) -> bool {
        self.confirmation(self.role.other()).ct_eq(got).into()
    }

    /// The short authentication string: the same two words on both sides exactly when both
    /// ran the exchange with each other (no one in the middle).
    pub fn sas(&self) -> String {
        let mut bits = [0u8; 3];
        self.expand("sas", &mut bits);
        let n = u32::from_be_bytes([0, bits[0], bits[1], bits[2]]) >> 2;
        let words = bip39::Language::English.word_list();
        format!(
            "{} {}",
            words[(n >> 11) as usize & 2047],
            words[n as usize & 2047]
        )
    }

    /// `medium`'s SRTP keys: what we send with and what the peer sends with.
    pub fn session_keys(&self, medium: &str) -> SessionKeys {
        let key = |from: Role| {
            let mut okm = vec![0u8; self.suite.key_salt_len()];
            self.expand(
                &format!("srtp {} {medium} from {}", self.suite.name(), from.name()),
                &mut okm,
            );
            SrtpKey::new(okm)
        };
        SessionKeys {
            suite: self.suite,
            send: key(self.role),
            recv: key(self.role.other()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_roles_agree_and_every_key_differs() {
        let suite = SrtpSuite::AesGcm128;
        let a = EpochSecret::new(&[7; 32], suite, 0, Role::Initiator, None);
        let b = EpochSecret::new(&[7; 32], suite, 0, Role::Responder, None);
        assert!(b.peer_confirms(&a.confirmation(Role::Initiator)));
        assert!(a.peer_confirms(&b.confirmation(Role::Responder)));
        assert!(!a.peer_confirms(&a.confirmation(Role::Initiator)));
        assert_eq!(a.sas(), b.sas());
        assert_eq!(a.sas().split(' ').count(), 2);
        let (av, bv) = (a.session_keys("video"), b.session_keys("video"));
        assert_eq!(av.send, bv.recv);
        assert_eq!(av.recv, bv.send);
        assert_ne!(av.send, av.recv);
        assert_ne!(av.send, a.session_keys("audio").send);
        assert_eq!(av.send.bytes().len(), 28);
        let next = EpochSecret::new(&[7; 32], suite, 1, Role::Initiator, Some(&a.chain()));
        assert_ne!(next.session_keys("video").send, av.send);
        let other = EpochSecret::new(&[8; 32], suite, 0, Role::Initiator, None);
        let unchained = EpochSecret::new(&[7; 32], suite, 1, Role::Initiator, None);
        assert_ne!(
            unchained.session_keys("video").send,
            next.session_keys("video").send
        );
        assert_ne!(other.session_keys("video").send, av.send);
        let cm = EpochSecret::new(
            &[7; 32],
            SrtpSuite::AesCm128HmacSha1_80,
            0,
            Role::Initiator,
            None,
        );
        assert_eq!(cm.session_keys("video").send.bytes().len(), 30);
    }

    #[test]
    fn secrets_never_print() {
        let p = CallPassword::from_passphrase("hunter2").unwrap();
        assert_eq!(format!("{p:?}"), "CallPassword(<redacted>)");
        assert!(CallPassword::from_passphrase("").is_err());
        let s = EpochSecret::new(&[1; 32], SrtpSuite::AesGcm128, 0, Role::Initiator, None);
        assert!(!format!("{s:?}").contains('1'));
        assert_eq!(
            format!("{:?}", s.session_keys("audio").send),
            "SrtpKey(<28 bytes redacted>)"
        );
    }
}
