//! Key material of an encrypted call: the passphrase (`passphrase`), the key exchange that turns
//! it into fresh keys for every call (`exchange`), and the SRTP suites and key type (`kdf`).
//! Pure: SRTP itself runs in GStreamer (`build::srtp`), the exchange's datagrams go through
//! `build::key_exchange`. See docs/security.md.

pub mod exchange;
pub mod kdf;
pub mod passphrase;

pub use exchange::CallPassword;
pub use kdf::{SrtpKey, SrtpSuite};

/// One session's keys: what we encrypt with, and what we expect the peer to encrypt with.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionKeys {
    pub suite: SrtpSuite,
    pub send: SrtpKey,
    pub recv: SrtpKey,
}
