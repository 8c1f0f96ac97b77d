//! `--sdp FILE`: an SDP of what we send, written once both payloaders have negotiated their
//! caps (the H.264 parameter sets and the AAC config come from them), so that ffplay, ffmpeg
//! or VLC on the peer's machine can play our stream.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use crate::config::Endpoints;
use crate::plan::names;
use crate::sdp::{Outgoing, OutgoingMedia, outgoing_sdp};

/// Payloader caps seen so far: video, audio.
type Seen = Arc<Mutex<(Option<gst::Caps>, Option<gst::Caps>, bool)>>;

/// Writes the SDP to `path` as soon as both payloaders of `pipeline` have caps.
pub fn write_when_negotiated(pipeline: &gst::Pipeline, path: PathBuf, endpoints: Endpoints) {
    let seen: Seen = Arc::default();
    for (name, is_video) in [
        (names::VIDEO_PAYLOADER, true),
        (names::AUDIO_PAYLOADER, false),
    ] {
        let Some(pad) = pipeline.by_name(name).and_then(|p| p.static_pad("src")) else {
            continue;
        };
        let (seen, path) = (seen.clone(), path.clone());
        pad.connect_notify(Some("caps"), move |pad, _| {
            let Some(caps) = pad.current_caps() else {
                return;
            };
            // The video's caps are complete once they carry the parameter sets.
            let complete = !is_video
                || caps
                    .structure(0)
                    .is_some_and(|s| s.has_field("sprop-parameter-sets"));
            let Ok(mut seen) = seen.lock() else {
                return;
            };
            if !complete || seen.2 {
                return;
            }
            if is_video {
                seen.0 = Some(caps);
            } else {
                seen.1 = Some(caps);
            }
            if let (Some(video), Some(audio)) = (seen.0.clone(), seen.1.clone()) {
                seen.2 = true;
                write(&path, &endpoints, video, audio);
            }
        });
    }
}

fn write(path: &Path, endpoints: &Endpoints, video: gst::Caps, audio: gst::Caps) {
    let outgoing = Outgoing {
        session_name: "videocall".into(),
        origin_ip: endpoints.local_ip,
        dest_ip: endpoints.remote_ip,
        video: Some(OutgoingMedia {
            port: endpoints.video.dest_rtp,
            caps: video,
        }),
        audio: Some(OutgoingMedia {
            port: endpoints.audio.dest_rtp,
            caps: audio,
        }),
        feedback: true,
    };
    let result = outgoing_sdp(&outgoing)
        .and_then(|text| std::fs::write(path, text).map_err(|e| e.to_string()));
    match result {
        Ok(()) => eprintln!(
            "videocall: wrote the SDP of our stream to {}",
            path.display()
        ),
        Err(e) => eprintln!("videocall: cannot write --sdp {}: {e}", path.display()),
    }
}
