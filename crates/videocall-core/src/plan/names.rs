//! The names of the elements in a peer's pipeline, for the code that makes them (`plan`,
//! `build`) and the code that finds them while the call runs (`stats`, `call`, the lab).
//! Per-session elements are functions of the session id (`Medium::session_id`).
//!
//! Append-only: other modules rely on every name here.

use crate::config::Medium;

/// The one `rtpbin` of a peer.
pub const RTPBIN: &str = "rtpbin";

/// The video capture or test source.
pub const VIDEO_SOURCE: &str = "video-src";
/// The raw video caps before the encoder (the lab's meters stamp frames here).
pub const VIDEO_CAPS: &str = "video-caps";
/// The H.264 encoder (its `bitrate` is the rate controllers' output).
pub const VIDEO_ENCODER: &str = "video-enc";
/// The H.264 payloader (its `stats` carry our video SSRC).
pub const VIDEO_PAYLOADER: &str = "video-pay";
/// The H.264 depayloader.
pub const VIDEO_DEPAYLOADER: &str = "video-depay";
/// The H.264 decoder.
pub const VIDEO_DECODER: &str = "video-dec";
/// The video sink (its `stats` count rendered frames).
pub const VIDEO_SINK: &str = "video-sink";

/// The audio capture or test source.
pub const AUDIO_SOURCE: &str = "audio-src";
/// The raw audio caps before the encoder (the lab's meters stamp clicks here).
pub const AUDIO_CAPS: &str = "audio-caps";
/// The AAC encoder.
pub const AUDIO_ENCODER: &str = "audio-enc";
/// The AAC payloader (its `stats` carry our audio SSRC).
pub const AUDIO_PAYLOADER: &str = "audio-pay";
/// The funnel that joins the AAC depayloaders' output.
pub const AUDIO_DEPAY_JOIN: &str = "audio-depay-join";
/// The AAC decoder.
pub const AUDIO_DECODER: &str = "audio-dec";
/// The audio sink (its `stats` count played frames).
pub const AUDIO_SINK: &str = "audio-sink";

/// Picks what we send: the camera (`sink_0`) or the "video paused" picture (`sink_1`).
pub const VIDEO_SELECT: &str = "video-select";
/// Splits what we send between the encoder and the window's self-view.
pub const VIDEO_SEND_TEE: &str = "video-send-tee";
/// The "video paused" picture's source.
pub const VIDEO_PAUSED_SOURCE: &str = "video-paused-src";
/// Draws the self-view over the received video in the window.
pub const VIDEO_MIX: &str = "video-mix";
/// The self-view's first element, fed from [`VIDEO_SEND_TEE`].
pub const SELF_VIEW_QUEUE: &str = "video-self-queue";
/// The self-view's last element: keeps its newest frame for [`VIDEO_MIX`].
pub const SELF_VIEW_SINK: &str = "video-self-sink";
/// The microphone's mute switch (a `volume`), before the AAC encoder.
pub const AUDIO_MUTE: &str = "audio-mute";
/// Echo cancellation and noise suppression on the microphone (`webrtcdsp`).
pub const AUDIO_DSP: &str = "audio-dsp";
/// What the speaker plays, as the echo canceller's reference (`webrtcechoprobe`).
pub const AUDIO_ECHO_PROBE: &str = "audio-echo-probe";

/// The payloader of `medium`.
pub fn payloader(medium: Medium) -> &'static str {
    match medium {
        Medium::Video => VIDEO_PAYLOADER,
        Medium::Audio => AUDIO_PAYLOADER,
    }
}

/// The sink of `medium`.
pub fn sink(medium: Medium) -> &'static str {
    match medium {
        Medium::Video => VIDEO_SINK,
        Medium::Audio => AUDIO_SINK,
    }
}

/// The socket receiving session `session`'s RTP.
pub fn udpsrc_rtp(session: u32) -> String {
    format!("udpsrc-rtp-{session}")
}

/// The socket receiving session `session`'s RTCP.
pub fn udpsrc_rtcp(session: u32) -> String {
    format!("udpsrc-rtcp-{session}")
}

/// The socket sending session `session`'s RTP.
pub fn udpsink_rtp(session: u32) -> String {
    format!("udpsink-rtp-{session}")
}

/// The socket sending session `session`'s RTCP.
pub fn udpsink_rtcp(session: u32) -> String {
    format!("udpsink-rtcp-{session}")
}

/// Session `session`'s SRTP encoder.
pub fn srtpenc(session: u32) -> String {
    format!("srtpenc-{session}")
}

/// Session `session`'s gate before its RTP (`rtcp` false) or RTCP sender: closed until the key
/// exchange gives keys, so nothing leaves under a key the peer cannot have.
pub fn send_gate(session: u32, rtcp: bool) -> String {
    format!("send-gate-{}-{session}", if rtcp { "rtcp" } else { "rtp" })
}

/// Session `session`'s SRTP decoder (its `stats` count received and dropped packets).
pub fn srtpdec(session: u32) -> String {
    format!("srtpdec-{session}")
}

/// Session `session`'s retransmission sender (`rtprtxsend`).
pub fn rtx_send(session: u32) -> String {
    format!("rtx-send-{session}")
}

/// Session `session`'s retransmission receiver (`rtprtxreceive`: requests and repairs).
pub fn rtx_recv(session: u32) -> String {
    format!("rtx-recv-{session}")
}

/// Session `session`'s ULPFEC encoder.
pub fn fec_enc(session: u32) -> String {
    format!("fec-enc-{session}")
}

/// Session `session`'s ULPFEC decoder (its `recovered` count).
pub fn fec_dec(session: u32) -> String {
    format!("fec-dec-{session}")
}

/// Session `session`'s RED encoder (its `distance` switches redundancy).
pub fn red_enc(session: u32) -> String {
    format!("red-enc-{session}")
}

/// Session `session`'s RED decoder.
pub fn red_dec(session: u32) -> String {
    format!("red-dec-{session}")
}

/// Session `session`'s GCC estimator and pacer (`rtpgccbwe`, its `estimated-bitrate`).
pub fn gcc_estimator(session: u32) -> String {
    format!("gcc-bwe-{session}")
}

/// The funnel in front of `medium`'s depayloader number `index` (one per format we take).
pub fn funnel(medium: Medium, index: usize) -> String {
    match index {
        0 => format!("{}-funnel", medium.name()),
        i => format!("{}-funnel-{i}", medium.name()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::media::{audio_recv_chain, audio_send_chain, video_depayloader};
    use crate::plan::media::{video_recv_chain, video_send_chain};

    /// The names the pipeline is built with are the ones read back here.
    #[test]
    fn the_pipeline_is_built_with_these_names() {
        let video = crate::plan::media::VideoSettings::default();
        let audio = crate::plan::media::AudioSettings::default();
        let send = video_send_chain(&video, &crate::config::VideoSource::TestPattern);
        let names: Vec<&str> = send.iter().map(|s| s.name.as_str()).collect();
        for name in [VIDEO_SOURCE, VIDEO_CAPS, VIDEO_ENCODER, VIDEO_PAYLOADER] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        let send = audio_send_chain(&audio, crate::config::AudioSource::TestTone);
        let names: Vec<&str> = send.iter().map(|s| s.name.as_str()).collect();
        for name in [AUDIO_SOURCE, AUDIO_CAPS, AUDIO_ENCODER, AUDIO_PAYLOADER] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert_eq!(video_depayloader()[0].name, VIDEO_DEPAYLOADER);
        let libav = crate::plan::media::VideoSettings {
            decoder: crate::config::VideoDecoder::Libav,
            ..video
        };
        let recv = video_recv_chain(&libav, crate::config::VideoSink::Headless);
        let names: Vec<&str> = recv.iter().map(|s| s.name.as_str()).collect();
        for name in [VIDEO_DEPAYLOADER, VIDEO_DECODER, VIDEO_SINK] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        let recv = audio_recv_chain(crate::config::AudioSink::Headless);
        let names: Vec<&str> = recv.iter().map(|s| s.name.as_str()).collect();
        for name in [AUDIO_DEPAY_JOIN, AUDIO_DECODER, AUDIO_SINK] {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
    }

    #[test]
    fn per_session_names_carry_the_session() {
        assert_eq!(udpsrc_rtcp(1), "udpsrc-rtcp-1");
        assert_eq!(srtpdec(0), "srtpdec-0");
        assert_eq!(rtx_recv(1), "rtx-recv-1");
        assert_eq!(gcc_estimator(0), "gcc-bwe-0");
        assert_eq!(funnel(Medium::Audio, 0), "audio-funnel");
        assert_eq!(funnel(Medium::Audio, 1), "audio-funnel-1");
    }
}

/// Factories whose name decides something in `build`.
pub mod factory {
    pub const FUNNEL: &str = "funnel";
    pub const RTPREDDEC: &str = "rtpreddec";
}

/// The tee a recording of `direction` ("received", "sent") taps for `medium`.
pub fn record_tee(direction: &str, medium: Medium) -> String {
    format!("record-{direction}-{}-tee", medium.name())
}

/// The Matroska muxer of the recording of `direction`.
pub fn record_mux(direction: &str) -> String {
    format!("record-{direction}-mux")
}

/// The file sink of the recording of `direction`.
pub fn record_sink(direction: &str) -> String {
    format!("record-{direction}-sink")
}

/// The caps filter after the H.264 encoder (a sent recording taps after it).
pub const VIDEO_ENCODED_CAPS: &str = "video-enc-caps";
