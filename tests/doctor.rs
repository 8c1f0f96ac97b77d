//! `videocall doctor` and `videocall devices` on this machine: all well with test sources, a
//! hidden plugin named with its package, a port in use, an address not ours; and the element →
//! Debian package map checked against dpkg itself.

mod common;

use std::net::UdpSocket;
use std::process::{Command, Output, Stdio};

use common::*;

const HEADLESS: [&str; 8] = [
    "--video-source",
    "test",
    "--audio-source",
    "test",
    "--video-sink",
    "none",
    "--audio-sink",
    "none",
];

/// `videocall doctor` with test sources, headless, unless `extra` names another source.
fn doctor(extra: &[&str], env: &[(&str, &std::path::Path)]) -> Output {
    let media = HEADLESS
        .chunks(2)
        .filter(|pair| !extra.contains(&pair[0]))
        .flatten();
    let mut cmd = Command::new(bin());
    cmd.arg("doctor")
        .args(["--no-config"])
        .args(media)
        .args(extra)
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ports(base: u16) -> Vec<String> {
    endpoint_args(base, false)
}

#[test]
fn all_well_with_test_sources_headless_exits_0() {
    let base = free_base();
    let flags = ports(base);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = doctor(&flags, &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("all well"), "{all}");
    assert!(all.contains("ok       element x264enc"), "{all}");
    assert!(
        all.contains("ok       local address: 127.0.0.1 is ours"),
        "{all}"
    );
    assert!(!all.contains("PROBLEM"), "{all}");
}

#[test]
fn a_hidden_plugin_is_named_with_the_package_that_brings_it() {
    // Every plugin but x264, in a directory of its own, with a registry of its own.
    let dir = tempdir();
    let plugins = path(&dir, "plugins");
    std::fs::create_dir(&plugins).unwrap();
    for entry in std::fs::read_dir(plugin_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().unwrap() != "libgstx264.so" {
            std::os::unix::fs::symlink(&p, plugins.join(p.file_name().unwrap())).unwrap();
        }
    }
    let registry = path(&dir, "registry.bin");
    let out = doctor(
        &[],
        &[
            ("GST_PLUGIN_SYSTEM_PATH_1_0", &plugins),
            ("GST_REGISTRY_1_0", &registry),
        ],
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(4), "{all}");
    assert!(
        all.contains("PROBLEM  element x264enc: not installed"),
        "{all}"
    );
    assert!(
        all.contains("fix: apt-get install gstreamer1.0-plugins-ugly"),
        "{all}"
    );
    assert_eq!(all.matches("PROBLEM").count(), 1, "{all}");
    assert!(
        all.lines()
            .last()
            .unwrap()
            .starts_with("videocall: doctor found 1 problem"),
        "{all}"
    );
}

#[test]
fn a_port_in_use_is_reported_with_a_free_one() {
    let base = free_base();
    let _held = UdpSocket::bind(("127.0.0.1", base + 2)).unwrap();
    let flags = ports(base);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let out = doctor(&flags, &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains(&format!(
            "PROBLEM  video reception ports: port {} on 127.0.0.1 is in use",
            base + 2
        )),
        "{all}"
    );
    let fix = all
        .lines()
        .find(|l| l.contains("fix: --video-recv-port"))
        .unwrap_or_else(|| panic!("{all}"));
    let offered: u16 = fix.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!(UdpSocket::bind(("127.0.0.1", offered)).is_ok(), "{fix}");
    assert!(all.contains("ok       audio reception ports"), "{all}");
}

#[test]
fn a_local_address_not_ours_is_reported() {
    let out = doctor(&["--local-ip", "192.0.2.55"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(3), "{all}");
    assert!(
        all.contains("PROBLEM  local address: 192.0.2.55 is not an address of this machine"),
        "{all}"
    );
    assert!(all.contains("fix: ip -brief address"), "{all}");
}

#[test]
fn a_device_the_flags_ask_for_and_the_machine_lacks_is_a_problem() {
    // No camera node at this path on any machine.
    let out = doctor(&["--video-source", "/dev/video-none"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("PROBLEM  camera: cannot open camera /dev/video-none"),
        "{all}"
    );
    assert!(all.contains("--video-source test"), "{all}");
}

#[test]
fn a_named_microphone_is_checked_and_its_element_is_in_the_plan() {
    // ALSA's null device exists wherever alsa-lib does.
    let out = doctor(&["--audio-source", "alsa:null"], &[]);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(
        all.contains("ok       microphone: alsa:null opens"),
        "{all}"
    );
    assert!(
        all.contains("ok       element alsasrc: installed (gstreamer1.0-alsa)"),
        "{all}"
    );
    assert!(!all.contains("element audiotestsrc"), "{all}");
    let out = doctor(&["--audio-source", "alsa:videocall-no-such-device"], &[]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(
        all.contains("PROBLEM  microphone: cannot open microphone alsa:videocall-no-such-device"),
        "{all}"
    );
    // A value that is neither a word nor system:device is refused by the flag itself.
    let out = doctor(&["--audio-source", "oss:dsp"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("pulse:NAME or alsa:DEVICE"),
        "{}",
        text(&out)
    );
}

#[test]
fn devices_prints_valid_json() {
    let out = Command::new(bin())
        .args(["devices", "--json"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let devices = value["devices"].as_array().expect("a devices array");
    for d in devices {
        assert!(
            ["video", "audio"].contains(&d["kind"].as_str().unwrap()),
            "{d}"
        );
        assert!(d["flag"].as_str().unwrap().starts_with("--"), "{d}");
    }
    let plain = Command::new(bin()).arg("devices").output().unwrap();
    assert!(plain.status.success());
    assert!(!plain.stdout.is_empty());
}

/// The package each element's plugin file belongs to, by dpkg.
fn dpkg_package(file: &str) -> String {
    let out = Command::new("dpkg").args(["-S", file]).output().unwrap();
    assert!(out.status.success(), "dpkg -S {file}");
    let line = String::from_utf8(out.stdout).unwrap();
    line.split(':').next().unwrap().trim().to_string()
}

#[test]
fn the_element_to_package_map_agrees_with_dpkg() {
    use gst::prelude::*;
    use videocall_core::build::element::{init_gstreamer, package_for};
    init_gstreamer().unwrap();
    // The elements of the plans doctor checks (plain and encrypted), and the devices' elements.
    let dir = tempdir();
    let secret = path(&dir, "passphrase");
    std::fs::write(&secret, "correct horse battery staple\n").unwrap();
    let mut factories: Vec<String> = Vec::new();
    for extra in [
        &[][..],
        &["--passphrase-file", secret.to_str().unwrap()][..],
    ] {
        let out = doctor(extra, &[]);
        factories.extend(text(&out).lines().filter_map(|l| {
            let rest = l.split("element ").nth(1)?;
            Some(rest.split(':').next()?.to_string())
        }));
    }
    factories.extend(
        [
            "v4l2src",
            "pulsesrc",
            "pulsesink",
            "alsasrc",
            "ximagesink",
            "glimagesink",
            "avdec_h264",
            "openh264dec",
        ]
        .map(String::from),
    );
    factories.sort();
    factories.dedup();
    assert!(factories.len() > 15, "{factories:?}");
    let mut checked = 0;
    for factory in &factories {
        let Some(found) = gst::ElementFactory::find(factory) else {
            continue;
        };
        let Some(file) = found.plugin().and_then(|p| p.filename()) else {
            continue; // linked into the binary (rtpgccbwe)
        };
        // dpkg knows files by their /usr path (the registry may hold /lib's, a symlink to it).
        let file = std::fs::canonicalize(&file).unwrap_or(file);
        let file = file.to_string_lossy().into_owned();
        assert_eq!(
            package_for(factory),
            dpkg_package(&file),
            "{factory} ({file})"
        );
        checked += 1;
    }
    assert!(checked > 15, "{checked} checked");
}
