//! Element names and factories used across modules, as constants: a renamed element is a
//! compile error in every place that looks it up, not a feature silently switched off.

/// Names of the elements of a peer's pipeline.
pub const RTPBIN: &str = "rtpbin";
pub const VIDEO_SOURCE: &str = "video-src";
pub const VIDEO_ENCODER: &str = "video-enc";
pub const VIDEO_PAYLOADER: &str = "video-pay";
pub const VIDEO_DEPAYLOADER: &str = "video-depay";
pub const VIDEO_DECODER: &str = "video-dec";
pub const VIDEO_SINK: &str = "video-sink";
pub const AUDIO_SOURCE: &str = "audio-src";
pub const AUDIO_ENCODER: &str = "audio-enc";
pub const AUDIO_PAYLOADER: &str = "audio-pay";
pub const AUDIO_DEPAYLOADER_JOIN: &str = "audio-depay-join";
pub const AUDIO_SINK: &str = "audio-sink";

/// Per-session names: `session` is the medium's rtpbin session id.
pub fn udpsrc_rtp(session: u32) -> String {
    format!("udpsrc-rtp-{session}")
}
pub fn udpsrc_rtcp(session: u32) -> String {
    format!("udpsrc-rtcp-{session}")
}
pub fn udpsink_rtp(session: u32) -> String {
    format!("udpsink-rtp-{session}")
}
pub fn udpsink_rtcp(session: u32) -> String {
    format!("udpsink-rtcp-{session}")
}
pub fn rtx_sender(session: u32) -> String {
    format!("rtx-send-{session}")
}
pub fn rtx_receiver(session: u32) -> String {
    format!("rtx-recv-{session}")
}
pub fn fec_encoder(session: u32) -> String {
    format!("fec-enc-{session}")
}
pub fn fec_decoder(session: u32) -> String {
    format!("fec-dec-{session}")
}
pub fn red_encoder(session: u32) -> String {
    format!("red-enc-{session}")
}
pub fn red_decoder(session: u32) -> String {
    format!("red-dec-{session}")
}
pub fn gcc_estimator(session: u32) -> String {
    format!("gcc-bwe-{session}")
}
pub fn srtp_encoder(session: u32) -> String {
    format!("srtpenc-{session}")
}
pub fn srtp_decoder(session: u32) -> String {
    format!("srtpdec-{session}")
}

/// Factories whose name decides something in `build`.
pub mod factory {
    pub const FUNNEL: &str = "funnel";
    pub const RTPREDDEC: &str = "rtpreddec";
}
