//! Reads what the peer's RTCP says about the streams we send. rtpsession keeps only the last
//! report block per remote participant, and with RTX the peer reports on two of our SSRCs, so
//! the reports are read here: `on-receiving-rtcp` hands each incoming compound packet (tens per
//! second, not per media buffer) to `report_blocks`, and the latest block per SSRC is kept
//! until the next poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::glib;
use gst::prelude::*;
use rtcp_types::{Compound, Packet};

use super::model::Feedback;

/// The report blocks (about which SSRC, what it says) in one compound RTCP packet.
pub fn report_blocks(data: &[u8]) -> Vec<(u32, Feedback)> {
    let Ok(compound) = Compound::parse(data) else {
        return Vec::new();
    };
    let feedback = |b: rtcp_types::ReportBlock| {
        // Cumulative lost is a signed 24-bit number (RFC 3550 §6.4.1).
        let raw = b.cumulative_lost() as i64;
        let lost = if raw & 0x80_0000 != 0 {
            raw - 0x100_0000
        } else {
            raw
        };
        (
            b.ssrc(),
            Feedback {
                highest_seq: b.extended_sequence_number().into(),
                lost,
                received_at_s: None,
            },
        )
    };
    compound
        .flatten()
        .flat_map(|packet| match packet {
            Packet::Sr(sr) => sr.report_blocks().map(feedback).collect::<Vec<_>>(),
            Packet::Rr(rr) => rr.report_blocks().map(feedback).collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// The SDES TOOL items in one compound RTCP packet.
pub fn sdes_tools(data: &[u8]) -> Vec<String> {
    let Ok(compound) = Compound::parse(data) else {
        return Vec::new();
    };
    compound
        .flatten()
        .flat_map(|packet| match packet {
            Packet::Sdes(sdes) => sdes
                .chunks()
                .flat_map(|chunk| chunk.items())
                .filter(|item| item.type_() == rtcp_types::SdesItem::TOOL)
                .filter_map(|item| String::from_utf8(item.value().to_vec()).ok())
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect()
}

/// Keeps the latest report block per SSRC from one session's incoming RTCP, stamped with its
/// arrival (seconds since `origin`), and the peer's SDES TOOL (what it says it takes).
/// Report blocks kept, by the SSRC they are about: ours are a handful (media, RTX, after a
/// restart), and they are reported every RTCP interval; blocks about other SSRCs (forged RTCP)
/// are the oldest and go first.
pub const MAX_REPORTED_SSRCS: usize = 16;

/// Drops the oldest reports until at most `cap` are left.
fn keep_latest(latest: &mut HashMap<u32, Feedback>, cap: usize) {
    while latest.len() > cap {
        let oldest = latest
            .iter()
            .min_by(|a, b| {
                let at = |fb: &Feedback| fb.received_at_s.unwrap_or(f64::MIN);
                at(a.1).total_cmp(&at(b.1))
            })
            .map(|(ssrc, _)| *ssrc);
        match oldest {
            Some(ssrc) => latest.remove(&ssrc),
            None => break,
        };
    }
}

#[derive(Clone)]
pub struct FeedbackTap {
    latest: Arc<Mutex<HashMap<u32, Feedback>>>,
    tool: Arc<Mutex<Option<String>>>,
}

impl FeedbackTap {
    /// Listens to the incoming RTCP of `session` in `rtpbin` (call after the session exists).
    pub fn attach(rtpbin: &gst::Element, session: u32, origin: Instant) -> FeedbackTap {
        let tap = FeedbackTap {
            latest: Arc::default(),
            tool: Arc::default(),
        };
        let Some(internal) =
            rtpbin.emit_by_name::<Option<glib::Object>>("get-internal-session", &[&session])
        else {
            return tap;
        };
        let latest = tap.latest.clone();
        let peer_tool = tap.tool.clone();
        internal.connect("on-receiving-rtcp", false, move |args| {
            let buffer = args[1].get::<gst::Buffer>().ok()?;
            let map = buffer.map_readable().ok()?;
            let at = origin.elapsed().as_secs_f64();
            let blocks = report_blocks(&map).into_iter().map(|(ssrc, fb)| {
                let stamped = Feedback {
                    received_at_s: Some(at),
                    ..fb
                };
                (ssrc, stamped)
            });
            if let Ok(mut latest) = latest.lock() {
                latest.extend(blocks);
                keep_latest(&mut latest, MAX_REPORTED_SSRCS);
            }
            if let Some(tool) = sdes_tools(&map).pop()
                && let Ok(mut last) = peer_tool.lock()
            {
                *last = Some(tool);
            }
            None
        });
        tap
    }

    /// The peer's latest SDES TOOL item, once one came.
    pub fn peer_tool(&self) -> Option<String> {
        self.tool.lock().ok()?.clone()
    }

    /// The latest report about each of `ours` (our senders, media and RTX), by SSRC; reports
    /// about any other SSRC (forged RTCP) are dropped here.
    pub fn latest_about(&self, ours: &[u32]) -> Vec<(u32, Feedback)> {
        let Ok(mut latest) = self.latest.lock() else {
            return Vec::new();
        };
        latest.retain(|ssrc, _| ours.contains(ssrc));
        let mut all: Vec<(u32, Feedback)> = latest.iter().map(|(s, fb)| (*s, *fb)).collect();
        all.sort_by_key(|(ssrc, _)| *ssrc);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forged_report_blocks_cannot_grow_the_map_or_push_out_fresh_ones() {
        let mut latest = HashMap::new();
        let at = |t: f64| Feedback {
            highest_seq: 0,
            lost: 0,
            received_at_s: Some(t),
        };
        latest.insert(7, at(100.0));
        for ssrc in 1000..1100u32 {
            latest.insert(ssrc, at(f64::from(ssrc - 1000) / 10.0));
            keep_latest(&mut latest, MAX_REPORTED_SSRCS);
        }
        assert_eq!(latest.len(), MAX_REPORTED_SSRCS);
        assert!(latest.contains_key(&7), "the freshest report stays");
        assert!(latest.contains_key(&1099) && !latest.contains_key(&1000));
        let tap = FeedbackTap {
            latest: Arc::new(Mutex::new(latest)),
            tool: Arc::default(),
        };
        let kept = tap.latest_about(&[7, 5]);
        assert_eq!(kept.iter().map(|(s, _)| *s).collect::<Vec<_>>(), vec![7]);
        assert_eq!(
            tap.latest.lock().unwrap().len(),
            1,
            "only our own SSRCs stay"
        );
    }
    use rtcp_types::{ReceiverReport, ReportBlock, RtcpPacketWriterExt};

    #[test]
    fn report_blocks_come_out_of_a_receiver_report() {
        let rr = ReceiverReport::builder(0x1111)
            .add_report_block(
                ReportBlock::builder(0xabcd)
                    .cumulative_lost(0xff_fffe) // -2
                    .extended_sequence_number(70_000),
            )
            .add_report_block(ReportBlock::builder(0x2222).cumulative_lost(12));
        let mut data = vec![0; 128];
        let len = rr.write_into(&mut data).unwrap();
        data.truncate(len);
        let blocks = report_blocks(&data);
        assert_eq!(blocks.len(), 2);
        assert_eq!(
            blocks[0],
            (
                0xabcd,
                Feedback {
                    highest_seq: 70_000,
                    lost: -2,
                    received_at_s: None,
                }
            )
        );
        assert_eq!(blocks[1].1.lost, 12);
        assert!(report_blocks(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn the_tool_item_comes_out_of_an_sdes_packet() {
        use rtcp_types::{Sdes, SdesChunk, SdesItem};
        let sdes = Sdes::builder().add_chunk(
            SdesChunk::builder(0x1234)
                .add_item(SdesItem::builder(SdesItem::CNAME, "a@b"))
                .add_item(SdesItem::builder(SdesItem::TOOL, "videocall; red")),
        );
        let mut data = vec![0; 128];
        let len = sdes.write_into(&mut data).unwrap();
        data.truncate(len);
        assert_eq!(sdes_tools(&data), ["videocall; red"]);
        assert!(sdes_tools(&[0x80]).is_empty());
    }
}
