//! The call window: the peer's video with our own as a small picture-in-picture, a title that
//! names the peer, and the "video paused" picture sent while the camera is off. Plain values;
//! `build::window` makes the elements (docs/decisions/0024-window-and-controls.md).

use std::net::IpAddr;

use super::ElementSpec;
use super::media::{VideoSettings, raw_video_caps};
use super::names;
use crate::config::WindowSink;

/// Where the self-view sits in the window, in pixels of the received picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inset {
    pub x: i32,
    pub y: i32,
    pub width: i32,
    pub height: i32,
}

/// The window as planned: its sink, its title and the self-view's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowPlan {
    pub sink: WindowSink,
    pub title: String,
    pub inset: Inset,
}

/// Gap between the self-view and the window's edges.
pub const INSET_MARGIN: i32 = 10;

/// The window of a call with `remote`: titled after the peer, self-view a quarter of the
/// picture's size in the bottom-right corner, where faces seldom are.
pub fn window_plan(sink: WindowSink, remote: IpAddr, video: &VideoSettings) -> WindowPlan {
    let (w, h) = (video.width as i32, video.height as i32);
    let (width, height) = (w / 4, h / 4);
    WindowPlan {
        sink,
        title: window_title(remote),
        inset: Inset {
            x: w - width - INSET_MARGIN,
            y: h - height - INSET_MARGIN,
            width,
            height,
        },
    }
}

/// "videocall - 192.168.1.20": the X sinks show it as the window's title.
pub fn window_title(remote: IpAddr) -> String {
    format!("videocall - {remote}")
}

/// The colour of the "video paused" picture (ARGB): a dark blue no test pattern or camera
/// scene is likely to fill a frame with, so the notice is clear and tests can find it.
pub const PAUSED_COLOUR: u32 = 0xff20_3060;
/// What the paused picture says.
pub const PAUSED_TEXT: &str = "video paused";

/// The "video paused" picture at the plan's size and rate, ready for the selector's `sink_1`.
pub fn paused_picture_chain(video: &VideoSettings) -> Vec<ElementSpec> {
    vec![
        ElementSpec::new("videotestsrc", names::VIDEO_PAUSED_SOURCE)
            .prop("is-live", true)
            .prop("pattern", "solid-color")
            .prop("foreground-color", PAUSED_COLOUR),
        ElementSpec::new("capsfilter", "video-paused-caps").prop("caps", raw_video_caps(video)),
        ElementSpec::new("textoverlay", "video-paused-text")
            .prop("text", PAUSED_TEXT)
            .prop("font-desc", "Sans 40")
            .prop("valignment", "center")
            .prop("halignment", "center")
            .prop("shaded-background", false),
    ]
}

/// Width of the white frame round the self-view, in pixels of the window.
pub const INSET_FRAME: i32 = 2;

/// From the send tee to the window: a queue that drops old frames rather than wait (the
/// self-view must never hold back what we send or what we receive), the scale-down to the
/// inset, a thin white frame that sets it apart from the peer's picture, and an appsink that
/// keeps the newest frame for the overlay ([`render_chain`]).
pub fn self_view_chain(inset: Inset) -> Vec<ElementSpec> {
    let f = INSET_FRAME;
    vec![
        ElementSpec::new("queue", names::SELF_VIEW_QUEUE)
            .prop("leaky", "downstream")
            .prop("max-size-buffers", 1)
            .prop("max-size-bytes", 0)
            .prop("max-size-time", 0),
        ElementSpec::new("videoscale", "video-self-scale").prop("add-borders", false),
        ElementSpec::new("videoconvert", "video-self-convert"),
        ElementSpec::new("capsfilter", "video-self-caps").prop(
            "caps",
            format!(
                "video/x-raw,format=BGRA,width={},height={},pixel-aspect-ratio=1/1",
                inset.width - 2 * f,
                inset.height - 2 * f
            ),
        ),
        ElementSpec::new("videobox", "video-self-frame")
            .prop("left", -f)
            .prop("right", -f)
            .prop("top", -f)
            .prop("bottom", -f)
            .prop("fill", "white"),
        ElementSpec::new("appsink", names::SELF_VIEW_SINK)
            .prop("sync", false)
            .prop("async", false)
            .prop("drop", true)
            .prop("max-buffers", 1)
            .prop("enable-last-sample", false),
    ]
}

/// From decoded frames to the window: the self-view drawn over each received frame as an
/// overlay, the title and the X or GL sink. Not a mixer (`compositor`): an aggregator of live
/// inputs holds each output for a frame and the slowest input's latency, which measured 95 ms
/// of pipeline latency against 35 ms without it; the overlay is a pass-through, so the peer's
/// video is shown as soon as without a self-view.
pub fn render_chain(window: &WindowPlan) -> Vec<ElementSpec> {
    vec![
        ElementSpec::new("videoconvert", "video-sink-convert"),
        ElementSpec::new("overlaycomposition", names::VIDEO_MIX),
        ElementSpec::new("videoconvert", "video-mix-convert"),
        ElementSpec::new("taginject", "video-title")
            .prop("tags", format!("title=\"{}\"", window.title)),
        ElementSpec::new(window.sink.factory(), names::VIDEO_SINK)
            .prop("sync", true)
            .prop("async", false),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_view_is_a_quarter_size_in_the_bottom_right_corner() {
        let plan = window_plan(
            WindowSink::XImage,
            "192.168.1.20".parse().unwrap(),
            &VideoSettings::default(),
        );
        assert_eq!(plan.title, "videocall - 192.168.1.20");
        assert_eq!(
            plan.inset,
            Inset {
                x: 470,
                y: 350,
                width: 160,
                height: 120
            }
        );
        assert_eq!(window_title("::1".parse().unwrap()), "videocall - ::1");
    }

    #[test]
    fn the_window_chain_mixes_titles_and_ends_at_the_display_sink() {
        let plan = window_plan(
            WindowSink::XImage,
            "10.0.0.2".parse().unwrap(),
            &VideoSettings::default(),
        );
        let chain = render_chain(&plan);
        assert_eq!(chain[1].name, names::VIDEO_MIX);
        assert_eq!(chain[1].factory, "overlaycomposition");
        let title = chain.iter().find(|e| e.factory == "taginject").unwrap();
        assert_eq!(title.get("tags"), Some("title=\"videocall - 10.0.0.2\""));
        let sink = chain.last().unwrap();
        assert_eq!(
            (sink.factory, sink.name.as_str()),
            ("ximagesink", names::VIDEO_SINK)
        );
        assert_eq!(sink.get("async"), Some("false"));
    }

    #[test]
    fn the_paused_picture_is_the_size_and_rate_we_send_and_the_self_view_never_waits() {
        let video = VideoSettings::default();
        let paused = paused_picture_chain(&video);
        assert_eq!(paused[0].get("is-live"), Some("true"));
        assert_eq!(paused[1].get("caps"), Some(raw_video_caps(&video).as_str()));
        assert_eq!(paused[2].get("text"), Some(PAUSED_TEXT));
        let inset = window_plan(WindowSink::XImage, "::1".parse().unwrap(), &video).inset;
        let selfview = self_view_chain(inset);
        assert_eq!(selfview[0].get("leaky"), Some("downstream"));
        assert_eq!(selfview[0].get("max-size-buffers"), Some("1"));
        // Scaled to the inset less its frame, so framed it is exactly the inset.
        assert!(
            selfview[3]
                .get("caps")
                .unwrap()
                .contains("width=156,height=116")
        );
        assert_eq!(selfview[4].get("left"), Some("-2"));
        let sink = selfview.last().unwrap();
        assert_eq!(
            (sink.get("sync"), sink.get("drop")),
            (Some("false"), Some("true"))
        );
    }
}
