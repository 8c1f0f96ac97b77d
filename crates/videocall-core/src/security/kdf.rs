//! Keys from a passphrase, with no exchange: both peers stretch the same passphrase with
//! Argon2id into one master secret, then HKDF-SHA256 expands a separate SRTP master key and
//! salt for each direction and medium. A direction is named by the port its media is received
//! on, which both peers know from the six answers (our destination port is the peer's
//! reception port), so they derive matching keys. Addresses are left out of the name on
//! purpose: a NAT or a relay between the peers changes the addresses each side sees, and the
//! two directions of one call already differ by port (a peer's two ports of a medium differ).

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Fixed Argon2 salt: peers cannot agree on a random one without an exchange. Versioned so a
/// future scheme gives different keys instead of silently mixing.
const PASSPHRASE_SALT: &[u8] = b"videocall/srtp/v1/passphrase";
/// Argon2id cost (OWASP's minimum: 19 MiB, 2 passes): about 50 ms once per call, which makes
/// each guess of an offline attacker cost the same.
const ARGON2_MEMORY_KIB: u32 = 19 * 1024;
const ARGON2_PASSES: u32 = 2;

/// The SRTP protection profile. Both peers must use the same one (it is part of the key label,
/// so a mismatch fails authentication instead of decoding garbage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SrtpSuite {
    /// AES-128-GCM (RFC 7714): encryption and a 16-byte tag in one pass.
    #[default]
    AesGcm128,
    /// AES-128 counter mode with HMAC-SHA1-80 (RFC 3711's default): for peers whose libsrtp
    /// lacks GCM.
    AesCm128HmacSha1_80,
}

impl SrtpSuite {
    /// Master key + master salt length (RFC 3711 §8.2, RFC 7714 §12).
    pub fn key_salt_len(self) -> usize {
        match self {
            SrtpSuite::AesGcm128 => 16 + 12,
            SrtpSuite::AesCm128HmacSha1_80 => 16 + 14,
        }
    }

    /// The `srtpenc`/`srtpdec` cipher nick.
    pub fn cipher(self) -> &'static str {
        match self {
            SrtpSuite::AesGcm128 => "aes-128-gcm",
            SrtpSuite::AesCm128HmacSha1_80 => "aes-128-icm",
        }
    }

    /// The `srtpenc`/`srtpdec` auth nick (GCM authenticates by itself).
    pub fn auth(self) -> &'static str {
        match self {
            SrtpSuite::AesGcm128 => "null",
            SrtpSuite::AesCm128HmacSha1_80 => "hmac-sha1-80",
        }
    }

    /// The name users type (`--srtp-suite`).
    pub fn name(self) -> &'static str {
        match self {
            SrtpSuite::AesGcm128 => "aes-128-gcm",
            SrtpSuite::AesCm128HmacSha1_80 => "aes-128-cm-sha1-80",
        }
    }

    /// Parses a suite name as shown by [`SrtpSuite::name`].
    pub fn parse(text: &str) -> Result<SrtpSuite, String> {
        [SrtpSuite::AesGcm128, SrtpSuite::AesCm128HmacSha1_80]
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| format!("'{text}': use aes-128-gcm or aes-128-cm-sha1-80"))
    }
}

/// The stretched passphrase. Never printed; wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct MasterSecret([u8; 32]);

impl fmt::Debug for MasterSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterSecret(<redacted>)")
    }
}

impl PartialEq for MasterSecret {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// One direction's SRTP master key and salt, in the layout `srtpenc`'s `key` wants. Never
/// printed; wiped when dropped.
#[derive(Clone, PartialEq, Zeroize, ZeroizeOnDrop)]
pub struct SrtpKey(Vec<u8>);

impl SrtpKey {
    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SrtpKey(<{} bytes redacted>)", self.0.len())
    }
}

impl MasterSecret {
    /// Stretches `passphrase` with Argon2id. Refuses an empty one (empty means "no encryption"
    /// to the caller, never a key).
    pub fn from_passphrase(passphrase: &str) -> Result<MasterSecret, String> {
        if passphrase.is_empty() {
            return Err("the passphrase is empty".into());
        }
        let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_PASSES, 1, Some(32))
            .map_err(|e| format!("argon2 parameters: {e}"))?;
        let mut out = [0u8; 32];
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(passphrase.as_bytes(), PASSPHRASE_SALT, &mut out)
            .map_err(|e| format!("cannot derive a key from the passphrase: {e}"))?;
        Ok(MasterSecret(out))
    }

    /// The SRTP key+salt for media of `medium` (its name: "video", "audio") received on RTP
    /// port `port` (RTCP of that
    /// direction shares the key, as SRTCP derives its own).
    pub fn srtp_key(&self, suite: SrtpSuite, medium: &str, port: u16) -> SrtpKey {
        let info = direction_label(suite, medium, port);
        let mut okm = vec![0u8; suite.key_salt_len()];
        Hkdf::<Sha256>::new(None, &self.0)
            .expand(info.as_bytes(), &mut okm)
            .expect("an SRTP key is far shorter than HKDF's limit");
        SrtpKey(okm)
    }
}

/// The HKDF `info` naming one direction of one medium: the port it is received on, and no
/// address, so calls through a relay or a NAT that keeps ports agree (docs/decisions/0018).
pub fn direction_label(suite: SrtpSuite, medium: &str, port: u16) -> String {
    format!("videocall/srtp/v2 {} {medium} -> :{port}", suite.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_passphrase_same_keys_and_every_direction_differs() {
        let a = MasterSecret::from_passphrase("correct horse").unwrap();
        let b = MasterSecret::from_passphrase("correct horse").unwrap();
        assert_eq!(a, b);
        let suite = SrtpSuite::AesGcm128;
        let keys = [
            a.srtp_key(suite, "video", 5000),
            a.srtp_key(suite, "video", 5002),
            a.srtp_key(suite, "audio", 5000),
            a.srtp_key(SrtpSuite::AesCm128HmacSha1_80, "video", 5000),
        ];
        assert_eq!(keys[0], b.srtp_key(suite, "video", 5000));
        for (i, k) in keys.iter().enumerate() {
            for other in &keys[i + 1..] {
                assert_ne!(k.bytes()[..16], other.bytes()[..16]);
            }
        }
        assert_eq!(keys[0].bytes().len(), 28);
        assert_eq!(keys[3].bytes().len(), 30);
        let c = MasterSecret::from_passphrase("correct horsf").unwrap();
        assert_ne!(c.srtp_key(suite, "video", 5000), keys[0]);
    }

    #[test]
    fn secrets_never_print() {
        let m = MasterSecret::from_passphrase("hunter2").unwrap();
        let k = m.srtp_key(SrtpSuite::AesGcm128, "audio", 6000);
        assert_eq!(format!("{m:?}"), "MasterSecret(<redacted>)");
        assert_eq!(format!("{k:?}"), "SrtpKey(<28 bytes redacted>)");
        assert!(MasterSecret::from_passphrase("").is_err());
    }

    #[test]
    fn labels_name_the_receiving_port() {
        let label = direction_label(SrtpSuite::AesCm128HmacSha1_80, "audio", 6000);
        assert_eq!(label, "videocall/srtp/v2 aes-128-cm-sha1-80 audio -> :6000");
        assert_eq!(SrtpSuite::parse("aes-128-gcm"), Ok(SrtpSuite::AesGcm128));
        assert!(SrtpSuite::parse("rot13").is_err());
    }
}
