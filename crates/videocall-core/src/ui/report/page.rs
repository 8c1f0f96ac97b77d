//! The call report page, pure: snapshots over a whole call in, one self-contained HTML page
//! out (a summary table, then SVG charts; no script, no external file). The call's view and
//! the bench both build their page here.

use std::fmt::Write;

use super::svg::{Chart, Series, escape, line_chart};
use crate::config::Medium;
use crate::stats::Snapshot;
use crate::stats::model::StreamStats;

/// What one peer received over the call: one direction of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Direction {
    /// Who sent to whom (`B → A`).
    pub name: String,
    /// The receiver's snapshots in time order (counters are cumulative).
    pub samples: Vec<Snapshot>,
    /// Capture-to-render video latency (seconds into the call, ms), where the meters measured
    /// it (the bench).
    pub latency_ms: Vec<(f64, f64)>,
    /// Video freezes as the meters measured them (the bench); otherwise the page counts the
    /// seconds in which no frame was rendered.
    pub freezes: Option<String>,
}

/// Everything the page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportPage {
    pub title: String,
    /// Lines under the title: peer, addresses, date, duration, encryption.
    pub about: Vec<(String, String)>,
    /// Start-up figures (time to first frame, key-frame requests), one row each, shown with
    /// the summary.
    pub startup: Vec<(String, String)>,
    pub directions: Vec<Direction>,
}

/// One medium's figures over one interval between two snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntervalFigures {
    /// Seconds into the call at the interval's end.
    pub t: f64,
    pub kbps: f64,
    /// Lost share of the packets expected in the interval; `None` when none were expected.
    pub loss_pct: Option<f64>,
    /// Jitter, when packets arrived in the interval.
    pub jitter_ms: Option<f64>,
    pub rtt_ms: Option<f64>,
    /// Frames rendered per second (video).
    pub fps: Option<f64>,
}

/// The per-interval figures of `medium`, from the deltas of consecutive snapshots (the first
/// interval starts at 0 s and zero counters). Intervals under 0.1 s are skipped.
pub fn intervals(samples: &[Snapshot], medium: Medium) -> Vec<IntervalFigures> {
    let stream = |s: &Snapshot| match medium {
        Medium::Video => s.video.clone(),
        Medium::Audio => s.audio.clone(),
    };
    let mut out = Vec::new();
    let (mut t0, mut before) = (0.0, StreamStats::default());
    for sample in samples {
        let now = stream(sample);
        let dt = sample.elapsed_s - t0;
        if dt < 0.1 {
            continue;
        }
        let received = now.packets_received.saturating_sub(before.packets_received);
        let lost = now.packets_lost.saturating_sub(before.packets_lost);
        let expected = received + lost;
        out.push(IntervalFigures {
            t: sample.elapsed_s,
            kbps: now.octets_received.saturating_sub(before.octets_received) as f64 * 8.0
                / dt
                / 1000.0,
            loss_pct: (expected > 0).then(|| lost as f64 * 100.0 / expected as f64),
            jitter_ms: (received > 0).then_some(now.jitter_ms),
            rtt_ms: now.rtt_ms,
            fps: now
                .frames_rendered
                .map(|f| f.saturating_sub(before.frames_rendered.unwrap_or(0)) as f64 / dt),
        });
        (t0, before) = (sample.elapsed_s, now);
    }
    out
}

/// Nearest-rank percentile.
fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}

/// One row of the summary table: one direction and medium over the whole call.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub direction: String,
    pub medium: Medium,
    /// Mean and 95th percentile of the interval bit rates once the stream started.
    pub mean_kbps: Option<f64>,
    pub p95_kbps: Option<f64>,
    /// Lost share of all packets expected over the call.
    pub loss_pct: Option<f64>,
    pub mean_jitter_ms: Option<f64>,
    pub mean_rtt_ms: Option<f64>,
    /// Mean frame rate once the first frame was rendered (video).
    pub mean_fps: Option<f64>,
    /// Freezes (video): the meters' figure, or the intervals after the first frame in which no
    /// frame was rendered.
    pub freezes: Option<String>,
    /// Capture-to-render latency p50 and p95 (video, where measured).
    pub latency_ms: Option<(f64, f64)>,
}

/// The summary of one direction and medium.
pub fn summarize(direction: &Direction, medium: Medium) -> SummaryRow {
    let all = intervals(&direction.samples, medium);
    let started: Vec<_> = all.iter().skip_while(|i| i.kbps == 0.0).copied().collect();
    let kbps: Vec<f64> = started.iter().map(|i| i.kbps).collect();
    let last = direction.samples.last();
    let totals = last.map(|s| match medium {
        Medium::Video => (s.video.packets_received, s.video.packets_lost),
        Medium::Audio => (s.audio.packets_received, s.audio.packets_lost),
    });
    let jitter: Vec<f64> = all.iter().filter_map(|i| i.jitter_ms).collect();
    let rtt: Vec<f64> = all.iter().filter_map(|i| i.rtt_ms).collect();
    let rendering: Vec<_> = all
        .iter()
        .skip_while(|i| i.fps.is_none_or(|f| f == 0.0))
        .collect();
    let fps: Vec<f64> = rendering.iter().filter_map(|i| i.fps).collect();
    let video = medium == Medium::Video;
    let freezes = video
        .then(|| {
            direction.freezes.clone().or_else(|| {
                (!rendering.is_empty()).then(|| {
                    let stalled = rendering.iter().filter(|i| i.fps == Some(0.0)).count();
                    format!("{stalled} s without frames")
                })
            })
        })
        .flatten();
    let latency: Vec<f64> = direction.latency_ms.iter().map(|p| p.1).collect();
    SummaryRow {
        direction: direction.name.clone(),
        medium,
        mean_kbps: mean(&kbps),
        p95_kbps: percentile(&kbps, 0.95),
        loss_pct: totals
            .filter(|(r, l)| r + l > 0)
            .map(|(r, l)| l as f64 * 100.0 / (r + l) as f64),
        mean_jitter_ms: mean(&jitter),
        mean_rtt_ms: mean(&rtt),
        mean_fps: if video { mean(&fps) } else { None },
        freezes,
        latency_ms: if video {
            percentile(&latency, 0.5).zip(percentile(&latency, 0.95))
        } else {
            None
        },
    }
}

/// Line colours: per direction, video then audio (colour-blind-safe pairs).
const COLORS: [[&str; 2]; 3] = [
    ["#1f77b4", "#ff7f0e"],
    ["#2ca02c", "#d62728"],
    ["#9467bd", "#8c564b"],
];

fn color(direction: usize, medium: Medium) -> &'static str {
    COLORS[direction % COLORS.len()][match medium {
        Medium::Video => 0,
        Medium::Audio => 1,
    }]
}

/// The charts, in page order: bit rates, loss, jitter, RTT, frame rate, latency (only where
/// measured).
pub fn charts(page: &ReportPage) -> Vec<Chart> {
    type Pick = fn(&IntervalFigures) -> Option<f64>;
    let series = |media: &[Medium], pick: Pick| -> Vec<Series> {
        page.directions
            .iter()
            .enumerate()
            .flat_map(|(d, direction)| {
                media.iter().map(move |&medium| Series {
                    name: if media.len() > 1 {
                        format!("{} {}", direction.name, medium.name())
                    } else {
                        direction.name.clone()
                    },
                    color: color(d, medium),
                    points: intervals(&direction.samples, medium)
                        .iter()
                        .filter_map(|i| pick(i).map(|v| (i.t, v)))
                        .collect(),
                })
            })
            .collect()
    };
    let both = [Medium::Video, Medium::Audio];
    let mut charts = vec![
        Chart {
            title: "Video bit rate".into(),
            unit: "kbit/s",
            series: series(&[Medium::Video], |i| Some(i.kbps)),
        },
        Chart {
            title: "Audio bit rate".into(),
            unit: "kbit/s",
            series: series(&[Medium::Audio], |i| Some(i.kbps)),
        },
        Chart {
            title: "Packet loss".into(),
            unit: "%",
            series: series(&both, |i| i.loss_pct),
        },
        Chart {
            title: "Jitter".into(),
            unit: "ms",
            series: series(&both, |i| i.jitter_ms),
        },
        Chart {
            title: "Round-trip time".into(),
            unit: "ms",
            series: series(&both, |i| i.rtt_ms),
        },
        Chart {
            title: "Frame rate".into(),
            unit: "frames/s",
            series: series(&[Medium::Video], |i| i.fps),
        },
    ];
    let latency = Chart {
        title: "Video latency, capture to render".into(),
        unit: "ms",
        series: page
            .directions
            .iter()
            .enumerate()
            .map(|(d, direction)| Series {
                name: direction.name.clone(),
                color: color(d, Medium::Video),
                points: direction.latency_ms.clone(),
            })
            .collect(),
    };
    if latency.has_data() {
        charts.push(latency);
    }
    charts
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:20px;color:#222;background:#fff}\
h1{font-size:22px;margin:0 0 6px}\
.about{color:#555;margin:0 0 14px}.about span{margin-right:18px}.about b{color:#222}\
table{border-collapse:collapse;margin:0 0 18px}\
th,td{border:1px solid #ccc;padding:4px 9px;text-align:right}\
th:first-child,td:first-child,th:nth-child(2),td:nth-child(2){text-align:left}\
thead th{background:#f2f2f2}\
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:12px 18px}\
.charts svg{width:100%;height:auto;border:1px solid #e5e5e5}\
svg .title{font:bold 14px system-ui,sans-serif;fill:#222}\
svg .tick{font:11px system-ui,sans-serif;fill:#666}\
svg .legend{font:12px system-ui,sans-serif;fill:#333}\
svg .grid{stroke:#e8e8e8;stroke-width:1}\
svg .frame{fill:none;stroke:#bbb;stroke-width:1}\
h2{font-size:16px;margin:16px 0 8px}";

fn figure(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// The whole page.
pub fn render(page: &ReportPage) -> String {
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n<p class=\"about\">",
        escape(&page.title),
        escape(&page.title)
    );
    for (key, value) in &page.about {
        let _ = write!(
            html,
            "<span><b>{}</b> {}</span>",
            escape(key),
            escape(value)
        );
    }
    html.push_str("</p>\n<h2>Summary</h2>\n<table><thead><tr><th>direction</th><th>medium</th><th>mean kbit/s</th><th>p95 kbit/s</th><th>loss %</th><th>jitter ms</th><th>RTT ms</th><th>frames/s</th><th>freezes</th><th>latency p50/p95 ms</th></tr></thead><tbody>\n");
    for direction in &page.directions {
        for medium in [Medium::Video, Medium::Audio] {
            let row = summarize(direction, medium);
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&row.direction),
                row.medium.name(),
                figure(row.mean_kbps, 1),
                figure(row.p95_kbps, 1),
                figure(row.loss_pct, 2),
                figure(row.mean_jitter_ms, 2),
                figure(row.mean_rtt_ms, 1),
                figure(row.mean_fps, 1),
                escape(row.freezes.as_deref().unwrap_or("–")),
                row.latency_ms
                    .map_or_else(|| "–".into(), |(p50, p95)| format!("{p50:.0} / {p95:.0}")),
            );
        }
    }
    html.push_str("</tbody></table>\n");
    if !page.startup.is_empty() {
        html.push_str("<h2>Start-up</h2>\n<table><tbody>\n");
        for (key, value) in &page.startup {
            let _ = writeln!(
                html,
                "<tr><th>{}</th><td>{}</td></tr>",
                escape(key),
                escape(value)
            );
        }
        html.push_str("</tbody></table>\n");
    }
    let x_max = page
        .directions
        .iter()
        .filter_map(|d| d.samples.last().map(|s| s.elapsed_s))
        .fold(0.0, f64::max);
    html.push_str("<h2>Over the call</h2>\n<div class=\"charts\">\n");
    for chart in charts(page) {
        html.push_str(&line_chart(&chart, x_max));
        html.push('\n');
    }
    html.push_str("</div>\n</body></html>\n");
    html
}

/// A UTC date and time (`2026-12-03 06:50 UTC`) from seconds since the Unix epoch, so the
/// page needs no time-zone crate.
pub fn utc_date(unix_s: u64) -> String {
    let (days, rest) = (unix_s / 86_400, unix_s % 86_400);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A steady call: 2 Mbit/s video at 25 frames/s and 64 kbit/s audio, with `lost` video
    /// packets lost in the third second and no frame in the fourth.
    fn steady(lost: u64) -> Vec<Snapshot> {
        let mut out = Vec::new();
        let mut s = Snapshot::default();
        for second in 1..=5u64 {
            s.elapsed_s = second as f64;
            s.video.octets_received += 250_000;
            s.video.packets_received += 200;
            if second == 3 {
                s.video.packets_lost += lost;
            }
            s.video.jitter_ms = 1.5;
            s.video.rtt_ms = Some(0.5);
            let frames = if second == 4 { 0 } else { 25 };
            s.video.frames_rendered = Some(s.video.frames_rendered.unwrap_or(0) + frames);
            s.audio.octets_received += 8_000;
            s.audio.packets_received += 50;
            s.audio.jitter_ms = 2.5;
            out.push(s.clone());
        }
        out
    }

    fn page() -> ReportPage {
        ReportPage {
            title: "videocall demo <A & B>".into(),
            about: vec![("Encryption".into(), "plain RTP".into())],
            startup: vec![("A: first frame".into(), "65 ms".into())],
            directions: vec![
                Direction {
                    name: "B → A".into(),
                    samples: steady(0),
                    ..Direction::default()
                },
                Direction {
                    name: "A → B".into(),
                    samples: steady(50),
                    latency_ms: vec![(1.0, 40.0), (2.0, 60.0)],
                    freezes: None,
                },
            ],
        }
    }

    #[test]
    fn intervals_are_rates_from_the_counters_deltas() {
        let v = intervals(&steady(50), Medium::Video);
        assert_eq!(v.len(), 5);
        assert_eq!(v[0].kbps, 2000.0);
        assert_eq!(v[0].fps, Some(25.0));
        assert_eq!(v[2].loss_pct, Some(50.0 * 100.0 / 250.0));
        assert_eq!(v[1].loss_pct, Some(0.0));
        assert_eq!(v[3].fps, Some(0.0));
        let a = intervals(&steady(0), Medium::Audio);
        assert_eq!(a[4].kbps, 64.0);
        assert_eq!(a[4].fps, None);
        assert_eq!(a[4].rtt_ms, None);
    }

    #[test]
    fn the_summary_has_the_calls_figures() {
        let page = page();
        let video = summarize(&page.directions[1], Medium::Video);
        assert_eq!(video.mean_kbps, Some(2000.0));
        assert_eq!(video.p95_kbps, Some(2000.0));
        assert_eq!(video.loss_pct, Some(50.0 * 100.0 / 1050.0));
        assert_eq!(video.mean_jitter_ms, Some(1.5));
        assert_eq!(video.mean_rtt_ms, Some(0.5));
        assert_eq!(video.mean_fps, Some(20.0));
        assert_eq!(video.freezes.as_deref(), Some("1 s without frames"));
        assert_eq!(video.latency_ms, Some((40.0, 60.0)));
        let audio = summarize(&page.directions[0], Medium::Audio);
        assert_eq!(audio.mean_kbps, Some(64.0));
        assert_eq!(audio.loss_pct, Some(0.0));
        assert_eq!(audio.mean_fps, None);
        assert_eq!(audio.freezes, None);
    }

    #[test]
    fn the_page_holds_the_table_figures_and_every_series() {
        let html = render(&page());
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<title>videocall demo &lt;A &amp; B&gt;</title>"));
        assert!(html.contains("<b>Encryption</b> plain RTP"));
        // The table: A → B video's row has its figures.
        assert!(
            html.contains("<tr><td>A → B</td><td>video</td><td>2000.0</td><td>2000.0</td><td>4.76</td><td>1.50</td><td>0.5</td><td>20.0</td><td>1 s without frames</td><td>40 / 60</td></tr>"),
            "{html}"
        );
        assert!(html.contains("<th>A: first frame</th><td>65 ms</td>"));
        // Seven charts (latency measured), each direction's line in its colour.
        assert_eq!(html.matches("<svg").count(), 7);
        for title in [
            "Video bit rate",
            "Audio bit rate",
            "Packet loss",
            "Jitter",
            "Round-trip time",
            "Frame rate",
            "Video latency",
        ] {
            assert!(html.contains(title), "{title}");
        }
        for c in ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"] {
            assert!(html.contains(&format!("stroke=\"{c}\"")), "{c}");
        }
        assert!(html.contains("<title>A → B audio</title>"));
        // Self-contained: nothing fetched, nothing run.
        assert!(!html.contains("<script"));
        assert!(!html.contains("src="));
        assert!(!html.contains("href="));
    }

    #[test]
    fn without_latency_there_is_no_latency_chart() {
        let mut page = page();
        page.directions[1].latency_ms.clear();
        let html = render(&page);
        assert_eq!(html.matches("<svg").count(), 6);
        assert!(!html.contains("Video latency"));
    }

    #[test]
    fn dates_are_utc() {
        assert_eq!(utc_date(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_date(1_796_280_613), "2026-12-03 06:50 UTC");
        assert_eq!(utc_date(951_782_400), "2000-02-29 00:00 UTC");
    }
}
