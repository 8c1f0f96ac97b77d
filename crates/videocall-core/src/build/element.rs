//! The only code that creates media elements: it instantiates `ElementSpec`s and says which
//! package to install when a plugin is missing.

use gst::prelude::*;

use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;

/// The Debian package that provides an element, for the "install this" hint.
pub fn package_for(factory: &str) -> &'static str {
    match factory {
        "x264enc" => "gstreamer1.0-plugins-ugly",
        "avenc_aac" | "avdec_aac" | "avdec_h264" => "gstreamer1.0-libav",
        "voaacenc" | "openh264dec" | "faad" | "srtpenc" | "srtpdec" | "netsim" | "h264parse"
        | "waylandsink" | "webrtcdsp" | "webrtcechoprobe" => "gstreamer1.0-plugins-bad",
        // The Pango overlays come with the X elements on Debian 12.
        "ximagesink" | "xvimagesink" | "textoverlay" => "gstreamer1.0-x",
        "glimagesink" => "gstreamer1.0-gl",
        "alsasrc" | "alsasink" => "gstreamer1.0-alsa",
        // Debian 12 ships the PulseAudio elements in plugins-good (gstreamer1.0-pulseaudio is
        // only a transitional package there); tests/doctor.rs checks this map with dpkg -S.
        "capssetter" | "rtpbin" | "rtph264pay" | "rtph264depay" | "rtpmp4gdepay" | "udpsrc"
        | "udpsink" | "v4l2src" | "aacparse" | "rtpmp4gpay" | "rtpmp4apay" | "rtpmp4adepay"
        | "rtprtxsend" | "rtprtxreceive" | "rtpredenc" | "rtpreddec" | "rtpjitterbuffer"
        | "rtpulpfecenc" | "rtpulpfecdec" | "rtpsession" | "pulsesink" | "pulsesrc"
        | "autovideosink" | "autoaudiosink" | "level" | "taginject" | "videobox"
        | "matroskamux" => "gstreamer1.0-plugins-good",
        // GStreamer's core elements.
        "queue" | "queue2" | "capsfilter" | "tee" | "fakesink" | "fakesrc" | "identity"
        | "valve" | "funnel" | "input-selector" | "output-selector" | "filesink" | "filesrc"
        | "multiqueue" | "clocksync" | "fdsink" | "fdsrc" | "concat" => "libgstreamer1.0-0",
        _ => "gstreamer1.0-plugins-base",
    }
}

/// Initializes GStreamer and registers the plugins linked into the binary (`rtpgccbwe` from
/// gst-plugin-rtp), once per process.
pub fn init_gstreamer() -> AppResult<()> {
    static REGISTERED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    gst::init().map_err(|e| AppError::MissingPlugin(format!("GStreamer failed to start: {e}")))?;
    REGISTERED
        .get_or_init(|| gstrsrtp::plugin_register_static().map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| AppError::MissingPlugin(format!("cannot register the Rust RTP plugin: {e}")))
}

/// Initializes GStreamer and checks that every factory the call needs is installed, so a missing
/// plugin is one clear line before anything starts.
pub fn init_and_check(factories: &[&str]) -> AppResult<()> {
    init_gstreamer()?;
    let missing: Vec<&str> = factories
        .iter()
        .copied()
        .filter(|f| gst::ElementFactory::find(f).is_none())
        .collect();
    if let Some(first) = missing.first() {
        return Err(AppError::MissingPlugin(format!(
            "missing GStreamer element{} {}: install {} (apt-get install {})",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            package_for(first),
            package_for(first)
        )));
    }
    Ok(())
}

/// Creates one element from its spec, with context on failure.
pub fn make_element(spec: &ElementSpec) -> AppResult<gst::Element> {
    let element = gst::ElementFactory::make(spec.factory)
        .name(spec.name.as_str())
        .build()
        .map_err(|_| {
            AppError::MissingPlugin(format!(
                "failed to make element {}: is {} installed?",
                spec.factory,
                package_for(spec.factory)
            ))
        })?;
    for (key, value) in &spec.props {
        if element.find_property(key).is_none() {
            return Err(AppError::Media(format!(
                "element {} has no property {key} (GStreamer too old?)",
                spec.factory
            )));
        }
        element.set_property_from_str(key, value);
    }
    Ok(element)
}

/// Creates a chain, adds it to `bin` and links it in order. Returns the elements, first to last.
pub fn add_chain(bin: &gst::Bin, chain: &[ElementSpec]) -> AppResult<Vec<gst::Element>> {
    let elements = chain
        .iter()
        .map(make_element)
        .collect::<AppResult<Vec<_>>>()?;
    bin.add_many(&elements)
        .map_err(|e| AppError::Media(format!("cannot add elements: {e}")))?;
    gst::Element::link_many(&elements).map_err(|e| {
        let names: Vec<_> = chain.iter().map(|s| s.factory).collect();
        AppError::Media(format!("cannot link {}: {e}", names.join(" ! ")))
    })?;
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::*;
    use crate::plan::media::*;

    #[test]
    fn every_planned_chain_builds_and_links() {
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let v = VideoSettings::default();
        let a = AudioSettings::default();
        add_chain(
            pipeline.upcast_ref(),
            &video_send_chain(&v, &VideoSource::TestPattern),
        )
        .unwrap();
        add_chain(
            pipeline.upcast_ref(),
            &audio_send_chain(&a, AudioSource::TestTone),
        )
        .unwrap();
        for decoder in [VideoDecoder::OpenH264, VideoDecoder::Libav] {
            let bin = gst::Bin::new();
            let video = VideoSettings {
                decoder,
                ..VideoSettings::default()
            };
            add_chain(&bin, &video_recv_chain(&video, VideoSink::Headless)).unwrap();
        }
        add_chain(
            pipeline.upcast_ref(),
            &audio_recv_chain(AudioSink::Headless),
        )
        .unwrap();
        let enc = pipeline.by_name("video-enc").unwrap();
        assert_eq!(enc.property::<u32>("bitrate"), 2000);
    }

    #[test]
    fn a_missing_factory_names_its_package() {
        gst::init().unwrap();
        let err = init_and_check(&["rtpbin", "no-such-element-x"]).unwrap_err();
        assert!(err.to_string().contains("no-such-element-x"), "{err}");
        let spec = ElementSpec {
            factory: "no-such-element-x",
            name: "x".into(),
            props: vec![],
        };
        assert!(
            make_element(&spec)
                .unwrap_err()
                .to_string()
                .contains("failed to make element")
        );
    }

    #[test]
    fn video_receive_caps_declare_the_twcc_extension() {
        use crate::plan::media::*;
        gst::init().unwrap();
        let caps: gst::Caps = video_rtp_caps(&VideoSettings::default()).parse().unwrap();
        let s = caps.structure(0).unwrap();
        let field = format!("extmap-{TWCC_EXTENSION_ID}");
        assert_eq!(s.get::<&str>(field.as_str()).unwrap(), TWCC_URI);
        assert_eq!(s.get::<i32>("payload").unwrap(), 96);
    }
}
