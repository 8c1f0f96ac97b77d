//! The call report (`--report FILE.html`): a real demo call writes the page, headless Chromium
//! renders it, and the screenshot shows the charts' lines.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The page's line colours (`ui::report::page`): B → A video and audio, A → B video and audio.
const LINE_COLOURS: [(&str, [u8; 3]); 4] = [
    ("B → A video", [0x1f, 0x77, 0xb4]),
    ("B → A audio", [0xff, 0x7f, 0x0e]),
    ("A → B video", [0x2c, 0xa0, 0x2c]),
    ("A → B audio", [0xd6, 0x27, 0x28]),
];

fn demo(extra: &[&str]) -> Output {
    Command::new(bin())
        .args(["demo", "--insecure", "--video-source", "test"])
        .args(["--audio-source", "test", "--video-sink", "none"])
        .args(["--audio-sink", "none"])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Renders `page` with headless Chromium into a 1280×1400 PNG.
fn screenshot(page: &Path, png: &Path, profile: &Path) {
    let out = Command::new("timeout")
        .arg("120")
        .arg("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg("--window-size=1280,1400")
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs (scripts/setup.sh installs it)");
    assert!(
        png.exists(),
        "chromium wrote no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The RGB pixels of a PNG, with its width.
fn decode(path: &Path) -> (usize, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(step)
        .map(|p| [p[0], p[1], p[2]])
        .collect();
    (info.width as usize, pixels)
}

fn near(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 24)
}

#[test]
fn a_demo_call_writes_a_self_contained_report_whose_charts_render() {
    let _lock = media_lock();
    let dir = tempdir();
    let page = path(&dir, "call report.html");
    let out = demo(&["--duration", "8", "--report", page.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("call report written to"), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();

    // One file: no script, nothing fetched from elsewhere.
    for outside in ["<script", "src=", "href=", "url(", "@import"] {
        assert!(
            !html.contains(outside),
            "the page refers outside: {outside}"
        );
    }
    // The summary has both directions and media, with the call's figures (2 Mbit/s video).
    for direction in ["B → A", "A → B"] {
        let row = format!("<tr><td>{direction}</td><td>video</td><td>");
        let at = html
            .find(&row)
            .unwrap_or_else(|| panic!("no {direction} row"));
        let mean: f64 = html[at + row.len()..]
            .split('<')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(
            (1000.0..3000.0).contains(&mean),
            "{direction}: mean video {mean} kbit/s"
        );
        assert!(html.contains(&format!("<tr><td>{direction}</td><td>audio</td><td>")));
    }
    assert!(html.contains("plain RTP"), "the encryption line");
    // Six charts; one point a second for each line.
    assert_eq!(html.matches("<svg").count(), 6, "{html}");
    let first_line = html.split("<polyline").nth(1).expect("a line is drawn");
    let points = first_line
        .split("points=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .split(' ')
        .count();
    assert!((5..=10).contains(&points), "{points} points in 8 s");

    // Chromium draws it: each direction's lines are there, beyond their legend swatches
    // (12×4 px in each chart that has the series).
    let shot = path(&dir, "report.png");
    screenshot(&page, &shot, &dir.path().join("chromium"));
    let (width, pixels) = decode(&shot);
    assert_eq!(width, 1280);
    let blank = pixels.iter().filter(|p| **p == [255, 255, 255]).count();
    assert!(blank < pixels.len(), "an empty screenshot");
    for (series, colour) in LINE_COLOURS {
        let count = pixels.iter().filter(|p| near(**p, colour)).count();
        eprintln!("{series}: {count} pixels");
        assert!(count > 600, "{series}: only {count} pixels of its colour");
    }
}

#[test]
fn an_unwritable_report_path_fails_before_the_call_in_one_line() {
    let dir = tempdir();
    let page = dir.path().join("missing-dir").join("r.html");
    let started = Instant::now();
    let out = demo(&["--duration", "30", "--report", page.to_str().unwrap()]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the call ran before the failure"
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("videocall: ") && last.contains("--report: cannot write"),
        "{stderr}"
    );
    assert!(last.contains("missing-dir"), "{last}");
}

#[test]
fn the_bench_writes_the_same_page_with_its_latency_and_start_up() {
    let _lock = media_lock();
    let dir = tempdir();
    let page = path(&dir, "bench.html");
    let out = Command::new(bin())
        .args(["bench", "--seconds", "6", "--insecure", "--report"])
        .arg(&page)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("videocall bench: call report"));
    assert!(!html.contains("<script") && !html.contains("src="));
    // Latency is measured there: its chart and each direction's p50 / p95 in the table.
    assert_eq!(html.matches("<svg").count(), 7, "{html}");
    assert!(html.contains("Video latency, capture to render"));
    for direction in ["B → A", "A → B"] {
        let row = format!("<tr><td>{direction}</td><td>video</td>");
        let at = html
            .find(&row)
            .unwrap_or_else(|| panic!("no {direction} row"));
        let cells: Vec<&str> = html[at..]
            .split("</tr>")
            .next()
            .unwrap()
            .split("<td>")
            .collect();
        let latency = cells.last().unwrap().trim_end_matches("</td>");
        let p50: f64 = latency.split(" / ").next().unwrap().parse().unwrap_or(-1.0);
        assert!(
            (1.0..1000.0).contains(&p50),
            "{direction}: latency {latency}"
        );
    }
    // Start-up figures fill the table the call leaves for them.
    assert!(html.contains("<h2>Start-up</h2>"));
    assert!(html.contains("A: first video frame"), "{html}");
}
