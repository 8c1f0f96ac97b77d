//! The security flags, shared by `call` and `demo` (flattened into `MediaArgs`).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;

use super::PeerSecurity;
use crate::error::AppError;
use crate::security::passphrase::{self, Passphrase, Sources};
use crate::security::{CallPassword, SrtpSuite};

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
    /// With --sdp on an encrypted call, put our sending key in the file as SDES `a=crypto`
    /// (RFC 4568), so ffplay or GStreamer can decrypt what we send. The file then holds a key:
    /// it is rewritten at every re-key.
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
            None => None,
        };
        Ok(PeerSecurity {
            srtp,
            accept_any_source: self.accept_any_source,
            sdp_crypto: self.sdp_crypto,
            rekey_after_packets: self.rekey_after_packets,
        })
    }
}
