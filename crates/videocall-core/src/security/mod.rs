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

/// One session's keys of an SDES-keyed call (`--sdp-crypto`, RFC 4568): our sending key, fresh
/// for this call and written into our SDP, and the peer's from its SDP's `a=crypto`, if it gave
/// one (without it the peer's packets find no key).
#[derive(Debug, Clone, PartialEq)]
pub struct SdesSession {
    pub send: SrtpKey,
    pub recv: Option<SrtpKey>,
}

/// An SDES-keyed call's keys, both sessions, fixed for the whole call (no exchange, no re-key).
#[derive(Debug, Clone, PartialEq)]
pub struct SdesKeys {
    pub suite: SrtpSuite,
    pub video: SdesSession,
    pub audio: SdesSession,
}

impl SdesKeys {
    /// Fresh random sending keys of `suite` for both sessions, with the peer's keys for video
    /// and audio where its SDP gave them.
    pub fn fresh(
        suite: SrtpSuite,
        peer_video: Option<SrtpKey>,
        peer_audio: Option<SrtpKey>,
    ) -> SdesKeys {
        SdesKeys {
            suite,
            video: SdesSession {
                send: SrtpKey::random(suite),
                recv: peer_video,
            },
            audio: SdesSession {
                send: SrtpKey::random(suite),
                recv: peer_audio,
            },
        }
    }
}
