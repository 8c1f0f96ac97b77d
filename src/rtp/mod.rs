//! RTP transport: one `rtpbin`, one session per medium, UDP sockets for RTP and RTCP. This is
//! the one place that wires a session, so retransmission, FEC and SRTP plug in here.

pub mod congestion;
pub mod fec;
pub mod keyframe;
pub mod latency;
pub mod one_sender;
pub mod payload_guard;
pub mod red;
pub mod repair_hold;
pub mod rtx;
pub mod session;

pub use session::{Medium, RtpBinSettings, SessionPlan, add_rtpbin, add_session};
