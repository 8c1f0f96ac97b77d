//! The security flags, shared by `call` and `demo` (flattened into `MediaArgs`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::PeerSecurity;
use crate::error::AppError;
use crate::security::passphrase::{self, Passphrase, Sources};
use crate::security::{CallPassword, SdesKeys, SrtpSuite};

/// Encryption and who may send to us. The passphrase never goes on the command line (it would
/// show in the process list): a file, the environment, or the prompt.
#[derive(Debug, Args)]
pub struct SecurityArgs {
    /// Read the call passphrase from FILE (its first line). Both peers use the same passphrase;
    /// it authenticates a key exchange that makes fresh keys for every call. Otherwise
    /// $VIDEOCALL_PASSPHRASE, otherwise asked.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    pub passphrase_file: Option<PathBuf>,
    /// Send and accept plain RTP (no encryption), without asking for a passphrase.
    #[arg(long)]
    pub insecure: bool,
    /// SRTP protection: aes-128-gcm, or aes-128-cm-sha1-80 (both peers must agree).
    #[arg(long, value_name = "SUITE", default_value = "aes-128-gcm", value_parser = SrtpSuite::parse)]
    pub srtp_suite: SrtpSuite,
    /// Accept datagrams from any address, not only the peer's (for testing; see docs/security.md).
    #[arg(long, hide = true)]
    pub accept_any_source: bool,
    /// With --sdp on an encrypted call: key the call the SDES way (RFC 4568) instead of by the
    /// key exchange, so that a receive-only player (ffplay, ffmpeg) can decrypt what we send.
    /// Our sending key is fresh random material for this call, written into the SDP as
    /// `a=crypto` (the file, mode 0600, then holds a key: whoever reads it can decrypt what we
    /// send); the peer's key comes from --peer-sdp's `a=crypto`, if any. The passphrase is
    /// still required (it marks the call as encrypted) but makes no keys; no re-key.
    #[arg(long)]
    pub sdp_crypto: bool,
    /// Re-key after this many RTP packets sent under one key (RFC 3711 §9.2 limits; small
    /// values are for tests).
    #[arg(long, hide = true, value_name = "PACKETS", default_value_t = DEFAULT_REKEY_AFTER_PACKETS,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub rekey_after_packets: u64,
}

/// The default re-key point: far below SRTP's 2^48 packets per master key, and below SRTCP's
/// 2^31 even if every RTP packet drew an RTCP one.
pub const DEFAULT_REKEY_AFTER_PACKETS: u64 = 1 << 30;

impl Default for SecurityArgs {
    fn default() -> SecurityArgs {
        SecurityArgs {
            passphrase_file: None,
            insecure: false,
            srtp_suite: SrtpSuite::default(),
            accept_any_source: false,
            sdp_crypto: false,
            rekey_after_packets: DEFAULT_REKEY_AFTER_PACKETS,
        }
    }
}

impl SecurityArgs {
    /// The choices the flags make.
    pub fn choice(&self) -> ProtectionChoice {
        ProtectionChoice {
            passphrase_file: self.passphrase_file.clone(),
            insecure: self.insecure,
            suite: self.srtp_suite,
            accept_any_source: self.accept_any_source,
            sdp_crypto: self.sdp_crypto,
            rekey_after_packets: self.rekey_after_packets,
        }
    }
}

/// How a call is to be protected, as the user chose it: where the passphrase comes from, the
/// suite, and who may send. Never the passphrase itself, so it can be handed to a child process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectionChoice {
    pub passphrase_file: Option<PathBuf>,
    pub insecure: bool,
    pub suite: SrtpSuite,
    pub accept_any_source: bool,
    pub sdp_crypto: bool,
    pub rekey_after_packets: u64,
}

impl ProtectionChoice {
    /// Checks the flags that only make sense together, before anything is asked: `--sdp-crypto`
    /// needs `--sdp` (`sdp_out`) and an encrypted call.
    pub fn check(&self, sdp_out: bool) -> Result<(), AppError> {
        if self.sdp_crypto && !sdp_out {
            return Err(AppError::Input(
                "--sdp-crypto puts our key in the SDP file: it needs --sdp FILE".into(),
            ));
        }
        if self.sdp_crypto && self.insecure {
            return Err(AppError::Input(NOT_ENCRYPTED.into()));
        }
        Ok(())
    }

    /// Decides the peer's protection: finds the passphrase (asking when `may_ask`) and hashes
    /// it into the exchange's password (the caller warns when the call is plain RTP).
    pub fn resolve(
        &self,
        may_ask: bool,
        input: &mut dyn BufRead,
        output: &mut dyn Write,
    ) -> Result<PeerSecurity, AppError> {
        let sources = Sources {
            insecure: self.insecure,
            file: self.passphrase_file.as_deref(),
            env: std::env::var(passphrase::ENV_VAR).ok(),
            may_ask,
        };
        let mut hidden = |prompt: &str| rpassword::prompt_password(prompt);
        let on_terminal = std::io::stdin().is_terminal();
        let secret = passphrase::resolve(
            sources,
            input,
            output,
            on_terminal.then_some(&mut hidden as passphrase::HiddenReader<'_>),
        )?;
        self.protection(secret)
    }

    fn protection(&self, secret: Option<Passphrase>) -> Result<PeerSecurity, AppError> {
        let srtp = match secret {
            Some(pass) => {
                let suite = self.suite;
                let password =
                    CallPassword::from_passphrase(pass.expose()).map_err(AppError::Input)?;
                Some((suite, password))
            }
            None if self.sdp_crypto => return Err(AppError::Input(NOT_ENCRYPTED.into())),
            None => None,
        };
        // SDES: fresh sending keys for this call; the peer's come from its SDP (the caller's).
        let sdes = self
            .sdp_crypto
            .then(|| SdesKeys::fresh(self.suite, None, None));
        Ok(PeerSecurity {
            srtp,
            accept_any_source: self.accept_any_source,
            sdes,
            rekey_after_packets: self.rekey_after_packets,
        })
    }
}

/// `--sdp-crypto` on a plain call.
const NOT_ENCRYPTED: &str = "--sdp-crypto needs an encrypted call: give a passphrase \
    (--passphrase-file or $VIDEOCALL_PASSPHRASE), not --insecure";

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(sdp_crypto: bool, insecure: bool) -> ProtectionChoice {
        ProtectionChoice {
            insecure,
            sdp_crypto,
            suite: SrtpSuite::AesCm128HmacSha1_80,
            ..SecurityArgs::default().choice()
        }
    }

    #[test]
    fn sdp_crypto_needs_the_sdp_file_and_a_passphrase() {
        assert!(choice(false, true).check(false).is_ok());
        assert!(choice(true, false).check(true).is_ok());
        let no_file = choice(true, false).check(false).unwrap_err().to_string();
        assert!(no_file.contains("needs --sdp FILE"), "{no_file}");
        let plain = choice(true, true).check(true).unwrap_err().to_string();
        assert!(plain.contains("needs an encrypted call"), "{plain}");
        let no_passphrase = choice(true, false).protection(None).unwrap_err();
        assert_eq!(no_passphrase.to_string(), plain);
        assert!(!plain.contains('\n'));
    }

    #[test]
    fn sdp_crypto_makes_fresh_sending_keys_and_no_others() {
        let pass = || {
            let sources = Sources {
                env: Some("correct horse".into()),
                ..Sources::default()
            };
            passphrase::resolve(sources, &mut std::io::empty(), &mut std::io::sink(), None).unwrap()
        };
        let sdes = choice(true, false)
            .protection(pass())
            .unwrap()
            .sdes
            .unwrap();
        assert_eq!(sdes.suite, SrtpSuite::AesCm128HmacSha1_80);
        assert_eq!(sdes.video.send.bytes().len(), 30);
        assert!(sdes.video.recv.is_none() && sdes.audio.recv.is_none());
        let again = choice(true, false)
            .protection(pass())
            .unwrap()
            .sdes
            .unwrap();
        assert_ne!(sdes.video.send, again.video.send, "fresh for every call");
        assert!(
            choice(false, false)
                .protection(pass())
                .unwrap()
                .sdes
                .is_none()
        );
    }
}
