//! Workarounds for GStreamer 1.22 behaviour, each with the behaviour it works around. They are
//! the only Rust code in the per-buffer path of a call, so they are kept together and small.
//!
//! - `payload_guard`: `rtph264depay` and `faad` post a fatal ERROR on payloads they cannot
//!   handle (unimplemented NAL unit types, any AAC decoding error): one forged packet would end
//!   the call.
//! - `stale_frames`: `openh264dec` stamps every picture after a swallowed frame one frame early.
//! - `red_marker`: `rtpreddec` leaves unwrapped packets without the marker bit, and lets RED
//!   packets it could not unwrap through.
//! - `nss_once`: libsrtp on NSS (as Debian builds it) initialises and shuts NSS down for every
//!   cipher it makes; the SRTP plugin's load took ~45 ms of an encrypted call's start-up.
//!
//! rtpbin answers `request-pt-map` once per payload type and keeps the answer: the AAC format
//! watch in `build::session` reads the peer's packets before that question is asked.

pub mod nss_once;
pub mod payload_guard;
pub mod red_marker;
pub mod stale_frames;
