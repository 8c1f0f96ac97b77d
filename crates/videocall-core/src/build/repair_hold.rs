//! Lets video wait for a late repair longer than the picture waits to be shown.
//!
//! A jitter buffer that gives up on a missing packet drops its frame, and every later frame
//! refers to it: the depayloader asks for a key frame (PLI) and the picture stays frozen for
//! the key frame's round trip and the buffer again, about six frames. Most packets given up on
//! this way still arrive, a little late: at 5 % loss over 20–60 ms, one 40 s call gave up on
//! 32 video packets and 82 resends of them arrived afterwards (`num-late`). So the video jitter
//! buffer waits `adapt::latency`'s latency plus a hold, while the pipeline renders at
//! the latency alone: the video path reports its latency less the hold. A repair that comes
//! within the hold releases the waiting frames at once; the frames whose time has passed are
//! decoded (so the next ones can refer to them) and dropped by the sink as late, and the
//! picture goes on after a frame or two instead of a key-frame round trip. Audio waits as long
//! as it plays: a held audio packet would silence everything behind it.
//!
//! The hold is a wait, not more requests: the jitter buffer asks for a missing packet only
//! within the latency (`rtx-retry-period`), as without the hold. Asking through the hold too
//! tripled the requests on the relay's policed 1 Mbit/s link (1 100 against 350 in the first
//! 10 s), whose resends then took the link from the media: the rate controller read 520–670
//! kbit/s delivered where 1 020 got through without, cut to 445–567 kbit/s and took 12–16 s to
//! be back at 2 Mbit/s after the cap (6.9–10.4 s without; docs/benchmarks-network.md).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use gst::prelude::*;

/// A video jitter buffer starts once this many packets arrived in a row, not after its whole
/// wait: the hold is there from the call's start (a loss in the first half second is repaired,
/// not frozen until a key frame), and the first frame must not wait for it (decision 22). A
/// key frame's packets come back to back.
const FASTSTART_PACKETS: u32 = 3;

/// The video jitter buffers of one session, and the hold they have on top of rtpbin's latency.
#[derive(Clone)]
pub struct RepairHold {
    session: u32,
    hold_ms: Arc<AtomicU32>,
    render_ms: Arc<AtomicU32>,
    jitterbuffers: Arc<Mutex<Vec<gst::glib::WeakRef<gst::Element>>>>,
}

impl RepairHold {
    /// Follows the jitter buffers rtpbin makes for `session`, and makes the latency that
    /// `depayloader`'s sink pad reports upstream of it leave out the hold.
    pub fn attach(rtpbin: &gst::Element, session: u32, depayloader: &gst::Element) -> RepairHold {
        let hold = RepairHold {
            session,
            hold_ms: Arc::new(AtomicU32::new(0)),
            render_ms: Arc::new(AtomicU32::new(rtpbin.property::<u32>("latency"))),
            jitterbuffers: Arc::new(Mutex::new(Vec::new())),
        };
        let tracked = hold.clone();
        rtpbin.connect("new-jitterbuffer", false, move |args| {
            let jitterbuffer = args[1].get::<gst::Element>().ok()?;
            if args[2].get::<u32>().ok()? != tracked.session {
                return None;
            }
            jitterbuffer.set_property("faststart-min-packets", FASTSTART_PACKETS);
            let render_ms = tracked.render_ms.load(Ordering::Relaxed);
            set_waits(
                &jitterbuffer,
                render_ms,
                tracked.hold_ms.load(Ordering::Relaxed),
            );
            if let Ok(mut list) = tracked.jitterbuffers.lock() {
                list.retain(|weak| weak.upgrade().is_some());
                list.push(jitterbuffer.downgrade());
            }
            None
        });
        if let Some(pad) = depayloader.static_pad("sink") {
            let hold_ms = hold.hold_ms.clone();
            // PULL: after upstream (the jitter buffer, with its full wait) has answered.
            pad.add_probe(
                gst::PadProbeType::QUERY_UPSTREAM | gst::PadProbeType::PULL,
                move |_, info| {
                    if let Some(gst::QueryViewMut::Latency(q)) =
                        info.query_mut().map(|q| q.view_mut())
                    {
                        let hold =
                            gst::ClockTime::from_mseconds(hold_ms.load(Ordering::Relaxed).into());
                        let (live, min, max) = q.result();
                        q.set(
                            live,
                            min.saturating_sub(hold),
                            max.map(|max| max.saturating_sub(hold)),
                        );
                    }
                    gst::PadProbeReturn::Ok
                },
            );
        }
        hold
    }

    /// Sets rtpbin's latency (every stream's, audio's included) to `render_ms` and this
    /// session's jitter buffers to `render_ms + hold_ms`.
    pub fn apply(&self, rtpbin: &gst::Element, render_ms: u32, hold_ms: u32) {
        self.render_ms.store(render_ms, Ordering::Relaxed);
        self.hold_ms.store(hold_ms, Ordering::Relaxed);
        rtpbin.set_property("latency", render_ms);
        let live: Vec<gst::Element> = match self.jitterbuffers.lock() {
            Ok(list) => list
                .iter()
                .filter_map(gst::glib::WeakRef::upgrade)
                .collect(),
            Err(_) => Vec::new(),
        };
        for jitterbuffer in live {
            set_waits(&jitterbuffer, render_ms, hold_ms);
        }
    }
}

/// Waits `render_ms + hold_ms` for a missing packet, and asks for it during `render_ms` only
/// (the jitter buffer's own choice, its latency, without a hold).
fn set_waits(jitterbuffer: &gst::Element, render_ms: u32, hold_ms: u32) {
    let ask_ms = if hold_ms > 0 {
        i32::try_from(render_ms).unwrap_or(i32::MAX)
    } else {
        -1
    };
    jitterbuffer.set_property("rtx-retry-period", ask_ms);
    jitterbuffer.set_property("latency", render_ms + hold_ms);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn video_waits_longer_than_the_pipeline_is_told() {
        gst::init().unwrap();
        let rtpbin = gst::ElementFactory::make("rtpbin").build().unwrap();
        // A live RTP source, a jitter buffer rtpbin "made" for video, the depayloader's place.
        let pipeline = gst::parse::launch(
            "appsrc name=src is-live=true format=time caps=application/x-rtp,media=video,clock-rate=90000 \
             ! rtpjitterbuffer name=jb ! identity name=depay ! fakesink name=sink",
        )
        .unwrap()
        .downcast::<gst::Bin>()
        .unwrap();
        let (jb, depay, sink) = ["jb", "depay", "sink"]
            .map(|n| pipeline.by_name(n).unwrap())
            .into();
        let hold = RepairHold::attach(&rtpbin, 0, &depay);
        rtpbin.emit_by_name::<()>("new-jitterbuffer", &[&jb, &0u32, &1u32]);
        let other = gst::ElementFactory::make("rtpjitterbuffer")
            .build()
            .unwrap();
        rtpbin.emit_by_name::<()>("new-jitterbuffer", &[&other, &1u32, &2u32]);

        hold.apply(&rtpbin, 100, 60);
        assert_eq!(rtpbin.property::<u32>("latency"), 100);
        assert_eq!(
            jb.property::<u32>("latency"),
            160,
            "video waits for repairs"
        );
        assert_eq!(
            jb.property::<i32>("rtx-retry-period"),
            100,
            "and asks as before"
        );
        assert_eq!(
            jb.property::<u32>("faststart-min-packets"),
            FASTSTART_PACKETS,
            "and starts without waiting for the hold"
        );
        let reported = || {
            let mut q = gst::query::Latency::new();
            assert!(sink.static_pad("sink").unwrap().peer_query(&mut q));
            q.result().1.mseconds()
        };
        assert_eq!(reported(), 100, "and is shown at the latency");

        hold.apply(&rtpbin, 100, 0);
        assert_eq!(jb.property::<u32>("latency"), 100);
        assert_eq!(jb.property::<i32>("rtx-retry-period"), -1);
        assert_eq!(reported(), 100);

        // A jitter buffer made later (a peer that restarted) gets the hold too; other
        // sessions' do not.
        hold.apply(&rtpbin, 120, 60);
        let late = gst::ElementFactory::make("rtpjitterbuffer")
            .build()
            .unwrap();
        rtpbin.emit_by_name::<()>("new-jitterbuffer", &[&late, &0u32, &3u32]);
        assert_eq!(late.property::<u32>("latency"), 180);
        assert_eq!(
            other.property::<u32>("latency"),
            200,
            "untouched (its default)"
        );
    }
}
