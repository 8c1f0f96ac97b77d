//! The SRTP protection profiles and the key type. The keys themselves come from the key
//! exchange (`security::exchange`), fresh for every call.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

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

    /// The SDES crypto-suite name (`a=crypto`): RFC 4568 §6.2.1 for AES-CM, RFC 7714 §12 for
    /// GCM.
    pub fn sdes_name(self) -> &'static str {
        match self {
            SrtpSuite::AesGcm128 => "AEAD_AES_128_GCM",
            SrtpSuite::AesCm128HmacSha1_80 => "AES_CM_128_HMAC_SHA1_80",
        }
    }

    /// The suite of an SDES crypto-suite name, if it is one of ours.
    pub fn from_sdes_name(text: &str) -> Option<SrtpSuite> {
        [SrtpSuite::AesGcm128, SrtpSuite::AesCm128HmacSha1_80]
            .into_iter()
            .find(|s| s.sdes_name() == text)
    }

    /// Parses a suite name as shown by [`SrtpSuite::name`].
    pub fn parse(text: &str) -> Result<SrtpSuite, String> {
        [SrtpSuite::AesGcm128, SrtpSuite::AesCm128HmacSha1_80]
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| format!("'{text}': use aes-128-gcm or aes-128-cm-sha1-80"))
    }
}

/// One direction's SRTP master key and salt, in the layout `srtpenc`'s `key` wants. Never
/// printed; wiped when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SrtpKey(Vec<u8>);

impl SrtpKey {
    /// Wraps key material of the suite's [`SrtpSuite::key_salt_len`].
    pub fn new(bytes: Vec<u8>) -> SrtpKey {
        SrtpKey(bytes)
    }

    /// A random key: what an encoder holds before the exchange gives the real one, and our
    /// sending key of an SDES-keyed call (`--sdp-crypto`).
    pub fn random(suite: SrtpSuite) -> SrtpKey {
        let mut bytes = vec![0u8; suite.key_salt_len()];
        rand::fill(&mut bytes[..]);
        SrtpKey(bytes)
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SrtpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SrtpKey(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suites_parse_and_keys_never_print() {
        assert_eq!(SrtpSuite::parse("aes-128-gcm"), Ok(SrtpSuite::AesGcm128));
        assert!(SrtpSuite::parse("rot13").is_err());
        let k = SrtpKey::random(SrtpSuite::AesCm128HmacSha1_80);
        assert_eq!(k.bytes().len(), 30);
        assert_ne!(k, SrtpKey::random(SrtpSuite::AesCm128HmacSha1_80));
        assert_eq!(format!("{k:?}"), "SrtpKey(<30 bytes redacted>)");
        for suite in [SrtpSuite::AesGcm128, SrtpSuite::AesCm128HmacSha1_80] {
            assert_eq!(SrtpSuite::from_sdes_name(suite.sdes_name()), Some(suite));
        }
        assert_eq!(SrtpSuite::from_sdes_name("AES_CM_128_HMAC_SHA1_32"), None);
    }
}
