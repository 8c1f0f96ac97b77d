//! Key material of an encrypted call: the passphrase (`passphrase`) and the SRTP master keys
//! stretched and derived from it (`kdf`). Pure: SRTP itself runs in GStreamer (`build::srtp`).
//! See docs/security.md.

pub mod kdf;
pub mod passphrase;

pub use kdf::{MasterSecret, SrtpKey, SrtpSuite};

/// One session's keys: what we encrypt with, and what we expect the peer to encrypt with.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionKeys {
    pub suite: SrtpSuite,
    pub send: SrtpKey,
    pub recv: SrtpKey,
}
