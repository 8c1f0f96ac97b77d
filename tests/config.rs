//! The config file and profiles, end to end: real calls between two peers whose six values come
//! from profiles, `--save-profile`, flags winning over the file, saved values offered at the
//! prompts, and bad files refused in one line.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::*;

/// The media options both peers take from the file's [call] section.
const CALL_SECTION: &str = r#"[call]
video-source = "test"
audio-source = "test"
video-sink = "none"
audio-sink = "none"
stats-interval = 0.5
"#;

/// `videocall` with `args`, `stdin` piped, and the default config directory at `xdg` (so the
/// user's own file is never read).
fn videocall(xdg: &Path, args: &[&str], stdin: &str) -> std::process::Child {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .env("XDG_CONFIG_HOME", xdg)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts");
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin.as_bytes());
    child
}

fn run(xdg: &Path, args: &[&str], stdin: &str) -> Output {
    videocall(xdg, args, stdin).wait_with_output().unwrap()
}

fn profile(name: &str, ports: [u16; 4]) -> String {
    format!(
        "[profiles.{name}]\nvideo-dest-port = {}\nvideo-recv-port = {}\naudio-dest-port = {}\naudio-recv-port = {}\nlocal-ip = \"127.0.0.1\"\nremote-ip = \"127.0.0.1\"\n",
        ports[0], ports[1], ports[2], ports[3]
    )
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The banner's "RTP to … (video V, audio A), receiving on … (video V, audio A)" ports.
fn banner_ports(err: &str) -> Vec<u16> {
    let line = err
        .lines()
        .find(|l| l.contains("RTP to"))
        .unwrap_or_else(|| panic!("no banner in: {err}"));
    let line = &line[line.find("RTP to").unwrap()..];
    line.split(['(', ')', ',', ' '])
        .filter_map(|w| w.parse().ok())
        .collect()
}

#[test]
fn a_call_between_two_peers_whose_values_come_from_profiles() {
    let _media = media_lock();
    let dir = tempdir();
    let base = free_base();
    // Peer A's profile is written by --save-profile (a short call with flags);
    let a_file = path(&dir, "a.toml");
    std::fs::write(&a_file, format!("# peer A\n{CALL_SECTION}")).unwrap();
    let a_flags = endpoint_args(base, false);
    let mut args: Vec<&str> = vec!["call", "--no-prompt", "--config", a_file.to_str().unwrap()];
    args.extend(a_flags.iter().map(String::as_str));
    args.extend(["--save-profile", "bob", "--duration", "0.5"]);
    let out = run(dir.path(), &args, "");
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("saved as profile bob"),
        "{}",
        stderr(&out)
    );
    let saved = std::fs::read_to_string(&a_file).unwrap();
    assert!(saved.starts_with("# peer A\n"), "{saved}");
    assert!(saved.contains("[profiles.bob]"), "{saved}");
    // peer B's by hand, mirrored.
    let b_file = path(&dir, "b.toml");
    std::fs::write(
        &b_file,
        format!(
            "{CALL_SECTION}\n{}",
            profile("alice", [base + 2, base, base + 6, base + 4])
        ),
    )
    .unwrap();
    let json = |side: &str| path(&dir, &format!("{side}.json"));
    let (ja, jb) = (json("a"), json("b"));
    let peer = |file: &Path, name: &str, json: &Path| {
        videocall(
            dir.path(),
            &[
                "call",
                "--no-prompt",
                "--config",
                file.to_str().unwrap(),
                "--profile",
                name,
                "--duration",
                "5",
                "--stats-json",
                json.to_str().unwrap(),
            ],
            "",
        )
    };
    let a = peer(&a_file, "bob", &ja);
    let b = peer(&b_file, "alice", &jb);
    let (a, b) = (finish(a, "A"), finish(b, "B"));
    assert_eq!(
        banner_ports(&stderr(&a)),
        [base, base + 4, base + 2, base + 6]
    );
    assert_eq!(
        banner_ports(&stderr(&b)),
        [base + 2, base + 6, base, base + 4]
    );
    for (side, json) in [("A", &ja), ("B", &jb)] {
        let snaps = snapshots(json);
        let last = snaps
            .last()
            .unwrap_or_else(|| panic!("{side}: no snapshots"));
        // stats-interval 0.5 from the file: about ten reports in five seconds.
        assert!(snaps.len() >= 6, "{side}: {} snapshots", snaps.len());
        assert!(
            num(last, "video", "frames_rendered") > 25.0,
            "{side}: {last}"
        );
        assert!(
            num(last, "audio", "packets_received") > 50.0,
            "{side}: {last}"
        );
    }
}

#[test]
fn flags_win_over_the_profile_and_the_file() {
    let dir = tempdir();
    let base = free_base();
    let file = path(&dir, "c.toml");
    std::fs::write(
        &file,
        format!(
            "{}\n{}",
            CALL_SECTION.replace("video-sink = \"none\"", "video-sink = \"window\""),
            profile("carol", [base, base + 2, base + 4, base + 6])
        ),
    )
    .unwrap();
    let other = (base + 10).to_string();
    let out = run(
        dir.path(),
        &[
            "call",
            "--no-prompt",
            "--config",
            file.to_str().unwrap(),
            "--profile",
            "carol",
            "--video-dest-port",
            &other,
            // The file asks for a window (there is none here); the flag says none.
            "--video-sink",
            "none",
            "--duration",
            "0.5",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        banner_ports(&stderr(&out)),
        [base + 10, base + 4, base + 2, base + 6]
    );
}

#[test]
fn the_prompts_offer_the_saved_values_and_an_empty_line_takes_them() {
    let dir = tempdir();
    let base = free_base();
    // The default file, under XDG_CONFIG_HOME.
    std::fs::create_dir(path(&dir, "videocall")).unwrap();
    std::fs::write(
        path(&dir, "videocall/config.toml"),
        format!(
            "{CALL_SECTION}video-dest-port = {base}\nvideo-recv-port = {}\nlocal-ip = \"127.0.0.1\"\n",
            base + 2
        ),
    )
    .unwrap();
    let (ad, ar) = ((base + 4).to_string(), (base + 6).to_string());
    let out = run(
        dir.path(),
        &["call", "--duration", "0.5"],
        &format!("\n\n{ad}\n{ar}\n\n127.0.0.1\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{stdout}", stderr(&out));
    assert!(
        stdout.contains(&format!("Set port video destination [{base}]: ")),
        "{stdout}"
    );
    assert!(
        stdout.contains("Set local direction ip [127.0.0.1]: "),
        "{stdout}"
    );
    assert!(stdout.contains("Set port audio destination: "), "{stdout}");
    assert_eq!(
        banner_ports(&stderr(&out)),
        [base, base + 4, base + 2, base + 6]
    );
}

fn assert_one_line(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("videocall: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{needle:?} not in {err}");
    }
}

#[test]
fn a_bad_config_is_one_line_naming_file_and_key() {
    let dir = tempdir();
    let file = path(&dir, "bad.toml");
    let f = file.to_str().unwrap();
    let try_file = |text: &str, extra: &[&str]| {
        std::fs::write(&file, text).unwrap();
        let mut args = vec!["call", "--no-prompt", "--config", f];
        args.extend(extra);
        run(dir.path(), &args, "")
    };
    assert_one_line(&try_file("[call\n", &[]), &[f, ":1"]);
    assert_one_line(
        &try_file("[call]\nvideo-sauce = \"test\"\n", &[]),
        &[f, ":2", "video-sauce", "unknown field"],
    );
    assert_one_line(
        &try_file("[call]\njitter-buffer-ms = \"lots\"\n", &[]),
        &[f, "jitter-buffer-ms", "invalid type"],
    );
    assert_one_line(
        &try_file("[call]\nvideo-sink = \"tv\"\n", &[]),
        &[f, "--video-sink", "tv"],
    );
    assert_one_line(
        &try_file(
            &profile("dave", [5000, 5002, 5004, 5006]),
            &["--profile", "erin"],
        ),
        &[f, "--profile erin", "has no [profiles.erin]", "dave"],
    );
    assert_one_line(
        &try_file("[profiles.x]\naudio-recv-port = 5001\n", &[]),
        &[f, "[profiles.x] audio-recv-port", "odd"],
    );
    let missing = path(&dir, "none.toml");
    assert_one_line(
        &run(
            dir.path(),
            &["call", "--config", missing.to_str().unwrap()],
            "",
        ),
        &["none.toml"],
    );
    // Saving needs a file to save to.
    assert_one_line(
        &run(
            dir.path(),
            &["call", "--no-config", "--save-profile", "x"],
            "",
        ),
        &["--save-profile with --no-config", "--config FILE"],
    );
    // A bad default file is read, and --no-config skips it.
    std::fs::create_dir(path(&dir, "videocall")).unwrap();
    std::fs::write(path(&dir, "videocall/config.toml"), "nonsense\n").unwrap();
    assert_one_line(
        &run(dir.path(), &["call", "--no-prompt"], ""),
        &["videocall/config.toml"],
    );
    assert_one_line(
        &run(dir.path(), &["call", "--no-prompt", "--no-config"], ""),
        &["--video-dest-port is missing"],
    );
}
