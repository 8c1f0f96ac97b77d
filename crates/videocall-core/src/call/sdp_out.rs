//! `--sdp FILE`: an SDP of what we send, written once both payloaders have negotiated their
//! caps (the H.264 parameter sets and the AAC config come from them), so that ffplay, ffmpeg
//! or VLC on the peer's machine can play our stream. With SDES keys (`--sdp-crypto`) it
//! carries our sending keys as `a=crypto`, and only its owner may read it (mode 0600).

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

use crate::config::Endpoints;
use crate::plan::names;
use crate::sdp::{Outgoing, OutgoingMedia, SdesCrypto, outgoing_sdp};
use crate::security::{SdesKeys, SdesSession};

/// Payloader caps seen so far: video, audio.
type Seen = Arc<Mutex<(Option<gst::Caps>, Option<gst::Caps>, bool)>>;

/// Writes the SDP to `path` as soon as both payloaders of `pipeline` have caps, with our
/// sending keys when `sdes` is given.
pub fn write_when_negotiated(
    pipeline: &gst::Pipeline,
    path: PathBuf,
    endpoints: Endpoints,
    sdes: Option<SdesKeys>,
) {
    let seen: Seen = Arc::default();
    for (name, is_video) in [
        (names::VIDEO_PAYLOADER, true),
        (names::AUDIO_PAYLOADER, false),
    ] {
        let Some(pad) = pipeline.by_name(name).and_then(|p| p.static_pad("src")) else {
            continue;
        };
        let (seen, path, sdes) = (seen.clone(), path.clone(), sdes.clone());
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
                write(&path, &endpoints, video, audio, sdes.as_ref());
            }
        });
    }
}

fn write(
    path: &Path,
    endpoints: &Endpoints,
    video: gst::Caps,
    audio: gst::Caps,
    sdes: Option<&SdesKeys>,
) {
    let crypto = |session: fn(&SdesKeys) -> &SdesSession| {
        sdes.map(|keys| SdesCrypto {
            tag: 1,
            suite: keys.suite,
            key: session(keys).send.clone(),
        })
    };
    let outgoing = Outgoing {
        session_name: "videocall".into(),
        origin_ip: endpoints.local_ip,
        dest_ip: endpoints.remote_ip,
        video: Some(OutgoingMedia {
            port: endpoints.video.dest_rtp,
            caps: video,
            crypto: crypto(|k| &k.video),
        }),
        audio: Some(OutgoingMedia {
            port: endpoints.audio.dest_rtp,
            caps: audio,
            crypto: crypto(|k| &k.audio),
        }),
        feedback: true,
    };
    let secret = sdes.is_some();
    let result = outgoing_sdp(&outgoing)
        .and_then(|text| write_file(path, &text, secret).map_err(|e| e.to_string()));
    match result {
        Ok(()) => eprintln!(
            "videocall: wrote the SDP of our stream to {}{}",
            path.display(),
            if secret {
                " (with our sending keys)"
            } else {
                ""
            }
        ),
        Err(e) => eprintln!("videocall: cannot write --sdp {}: {e}", path.display()),
    }
}

/// Writes `text` to `path`; a file with keys (`secret`) is made, or narrowed, to mode 0600
/// before the keys go in.
fn write_file(path: &Path, text: &str, secret: bool) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    if secret {
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    if secret {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_with_keys_is_for_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ours.sdp");
        std::fs::write(&path, "old, longer text").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_file(&path, "v=0", true).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "v=0");
        let plain = dir.path().join("plain.sdp");
        write_file(&plain, "v=0", false).unwrap();
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "v=0");
    }
}
