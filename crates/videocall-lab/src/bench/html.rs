//! `videocall bench --report FILE.html`: the call report page (`videocall_core::ui::report`)
//! from the bench's own measurements: each peer's statistics lines, and the video latency its
//! meters read from the stamped frames.

use super::analyze::PeerRun;
use super::report::Document;
use crate::meters::probe::Event;
use videocall_core::stats::Snapshot;
use videocall_core::ui::report::{Direction, ReportPage, utc_date};

/// Capture-to-render latency of the frames a peer rendered, as (seconds since its first
/// captured frame, mean ms of that second's frames).
pub fn latency_per_second(events: &[Event]) -> Vec<(f64, f64)> {
    let Some(origin) = events.iter().find_map(|e| match e {
        Event::Up { t } => Some(*t),
        _ => None,
    }) else {
        return Vec::new();
    };
    let mut seconds: Vec<(u64, f64, u32)> = Vec::new();
    for event in events {
        let Event::VideoRendered {
            t,
            capture: Some(capture),
        } = event
        else {
            continue;
        };
        let (Some(second), Some(latency_us)) = (t.checked_sub(origin), t.checked_sub(*capture))
        else {
            continue;
        };
        let second = second / 1_000_000;
        let ms = latency_us as f64 / 1000.0;
        match seconds.last_mut() {
            Some((s, sum, n)) if *s == second => {
                *sum += ms;
                *n += 1;
            }
            _ => seconds.push((second, ms, 1)),
        }
    }
    seconds
        .into_iter()
        .map(|(s, sum, n)| (s as f64 + 1.0, sum / f64::from(n)))
        .collect()
}

/// The page of one bench call: `snapshots` are each peer's statistics lines, in the order of
/// `runs` (A, B).
pub fn page(
    doc: &Document,
    runs: &[PeerRun; 2],
    snapshots: [Vec<Snapshot>; 2],
    started_unix_s: u64,
) -> ReportPage {
    let duration = snapshots
        .iter()
        .filter_map(|s| s.last().map(|s| s.elapsed_s))
        .fold(0.0, f64::max);
    let mut startup = Vec::new();
    if let Some(ms) = doc.second_peer_up_ms {
        startup.push(("B up (first frame captured)".into(), format!("{ms:.0} ms")));
    }
    for peer in &doc.peers {
        if let Some(ms) = peer.first_frame_ms {
            startup.push((
                format!("{}: first video frame", peer.peer),
                format!("{ms:.0} ms after B started"),
            ));
        }
        if let Some(ms) = peer.first_audio_ms {
            startup.push((
                format!("{}: first audio", peer.peer),
                format!("{ms:.0} ms after B started"),
            ));
        }
    }
    let directions = runs
        .iter()
        .zip(snapshots)
        .map(|(run, samples)| {
            let result = doc.peers.iter().find(|p| p.peer == run.label);
            Direction {
                name: format!(
                    "{} → {}",
                    result.map_or("peer", |r| r.receives_from.as_str()),
                    run.label
                ),
                samples,
                latency_ms: latency_per_second(&run.events),
                freezes: result.and_then(|r| {
                    r.frozen_ms.map(|frozen| {
                        format!(
                            "{frozen:.0} ms frozen, longest {:.0} ms",
                            r.longest_freeze_ms.unwrap_or(0.0)
                        )
                    })
                }),
            }
        })
        .collect();
    let c = &doc.config;
    ReportPage {
        title: "videocall bench: call report".into(),
        about: vec![
            (
                "Peers".into(),
                "A and B, two processes on this machine".into(),
            ),
            ("Transport".into(), c.transport.clone()),
            ("Network".into(), c.network.clone()),
            ("Media".into(), format!("{}; {}", c.video, c.audio)),
            ("Encryption".into(), c.protection.clone()),
            ("Date".into(), utc_date(started_unix_s)),
            ("Duration".into(), format!("{duration:.0} s")),
        ],
        startup,
        directions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_is_averaged_per_second_from_the_peers_first_frame() {
        let events = vec![
            Event::Up { t: 10_000_000 },
            Event::VideoRendered {
                t: 10_500_000,
                capture: Some(10_460_000),
            },
            Event::VideoRendered {
                t: 10_900_000,
                capture: Some(10_840_000),
            },
            Event::VideoRendered {
                t: 11_200_000,
                capture: None,
            },
            Event::VideoRendered {
                t: 12_100_000,
                capture: Some(12_000_000),
            },
        ];
        assert_eq!(latency_per_second(&events), vec![(1.0, 50.0), (3.0, 100.0)]);
        assert!(latency_per_second(&events[1..]).is_empty(), "no origin");
    }
}
