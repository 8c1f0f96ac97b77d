//! `videocall doctor` and `videocall devices`: whether a call with the given flags can run on
//! this machine, and which capture devices it has. The elements checked are the call's own plan's
//! (`PeerPlan::required_elements`), so the check cannot drift from what a call builds.

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

use gst::prelude::*;

use crate::build::element::{init_gstreamer, package_for};
use crate::build::probe;
use crate::config::cli::CallArgs;
use crate::config::*;
use crate::error::{AppError, AppResult};
use crate::plan::peer::{Found, ReceiveCaps, plan};

/// What a failed check means for the exit code, most serious last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A device or display the flags ask for (exit 2, like the call's own error).
    Device,
    /// A port in use or an address not ours (exit 3).
    Network,
    /// A GStreamer element not installed (exit 4).
    Element,
}

/// One line of the report: a check that passed, or a problem and the command that fixes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub subject: String,
    pub detail: String,
    /// `Some` for a problem: its kind and the one command (or flag) that fixes it.
    pub problem: Option<(Kind, String)>,
}

impl Finding {
    fn ok(subject: impl Into<String>, detail: impl Into<String>) -> Finding {
        Finding {
            subject: subject.into(),
            detail: detail.into(),
            problem: None,
        }
    }

    fn problem(
        subject: impl Into<String>,
        detail: impl Into<String>,
        kind: Kind,
        fix: impl Into<String>,
    ) -> Finding {
        Finding {
            subject: subject.into(),
            detail: detail.into(),
            problem: Some((kind, fix.into())),
        }
    }
}

/// The findings for missing elements: one per element, each naming its Debian package.
pub fn element_findings(required: &[&str], installed: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    required
        .iter()
        .map(|factory| {
            let package = package_for(factory);
            if installed(factory) {
                Finding::ok(
                    format!("element {factory}"),
                    format!("installed ({package})"),
                )
            } else {
                Finding::problem(
                    format!("element {factory}"),
                    format!("not installed (it comes with {package})"),
                    Kind::Element,
                    format!("apt-get install {package}"),
                )
            }
        })
        .collect()
}

/// The report as text: one line per check, and a `fix:` line under each problem.
pub fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        match &f.problem {
            None => out.push_str(&format!("ok       {}: {}\n", f.subject, f.detail)),
            Some((_, fix)) => out.push_str(&format!(
                "PROBLEM  {}: {}\n         fix: {fix}\n",
                f.subject, f.detail
            )),
        }
    }
    let problems = findings.iter().filter(|f| f.problem.is_some()).count();
    if problems == 0 {
        out.push_str("all well: a call with these flags can run here\n");
    }
    out
}

/// The exit the report calls for: success, or the most serious problem's error.
pub fn verdict(findings: &[Finding]) -> AppResult<()> {
    let problems: Vec<Kind> = findings
        .iter()
        .filter_map(|f| f.problem.as_ref().map(|(k, _)| *k))
        .collect();
    let Some(worst) = problems.iter().max() else {
        return Ok(());
    };
    let line = format!(
        "doctor found {} problem{} (see the fixes above)",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    Err(match worst {
        Kind::Device => AppError::Input(line),
        Kind::Network => AppError::Network(line),
        Kind::Element => AppError::MissingPlugin(line),
    })
}

/// Runs every check for a call with these flags, prints the report and exits by it.
pub fn run(args: &CallArgs) -> AppResult<()> {
    init_gstreamer()?;
    let options = args.media.options()?;
    let mut findings = Vec::new();
    let media = media_findings(&options, &mut findings);
    let given = args.given();
    let local_ip = given[4].as_deref().map(|text| {
        let parsed = text.trim().parse::<IpAddr>();
        (text, parsed)
    });
    let bind_ip = match local_ip {
        Some((_, Ok(ip))) if validate::is_local_address(ip) => {
            findings.push(Finding::ok("local address", format!("{ip} is ours")));
            Some(ip)
        }
        Some((text, Ok(ip))) => {
            findings.push(Finding::problem(
                "local address",
                format!("{text} is not an address of this machine"),
                Kind::Network,
                format!(
                    "ip -brief address   (and give one of its addresses as --local-ip; {ip} is none of them)"
                ),
            ));
            None
        }
        Some((text, Err(_))) => {
            findings.push(Finding::problem(
                "local address",
                format!("'{text}' is not an IP address"),
                Kind::Network,
                "ip -brief address   (and give one of its addresses as --local-ip)",
            ));
            None
        }
        None => {
            findings.push(Finding::ok(
                "local address",
                "not given (--local-ip): not checked",
            ));
            Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
        }
    };
    if let Some(ip) = bind_ip {
        port_findings(ip, &given, &mut findings);
    }
    // The plan needs endpoints; which ones does not change the elements it makes.
    let endpoints = loopback_pair(demo_base()).0;
    let security = args
        .media
        .security
        .choice()
        .resolve(false, &mut std::io::empty(), &mut std::io::sink())
        .unwrap_or_default();
    let config = CallConfig::new(args, endpoints, options);
    let found = Found {
        media,
        security,
        receive_caps: ReceiveCaps::default(),
    };
    let required = plan(None, &config, found).required_elements();
    findings.extend(element_findings(&required, &|f| {
        gst::ElementFactory::find(f).is_some()
    }));
    findings.sort_by_key(|f| f.problem.is_some());
    print!("{}", render(&findings));
    verdict(&findings)
}

/// A port block for planning only: nothing binds it.
fn demo_base() -> u16 {
    30_000
}

/// The camera, microphone, display and sound output the options ask for. Returns the media the
/// plan is made with: what the machine has, or the stand-in a failed device would leave.
fn media_findings(options: &CallOptions, findings: &mut Vec<Finding>) -> ResolvedMedia {
    use {AudioSinkChoice as AK, AudioSourceChoice as AS, VideoSinkChoice as VK};
    let test = VideoSourceChoice::Test;
    let video_source = match probe::resolve(&options.video_source, AS::Test, VK::None, AK::None) {
        Ok(m) => {
            findings.push(Finding::ok(
                "camera",
                match &m.video_source {
                    VideoSource::Camera(p) => format!("{} opens", p.display()),
                    VideoSource::TestPattern if options.video_source == test => {
                        "not used (--video-source test)".into()
                    }
                    VideoSource::TestPattern => {
                        "none found: the call sends the test pattern".into()
                    }
                },
            ));
            m.video_source
        }
        Err(e) => {
            findings.push(device_problem("camera", &e, "--video-source test"));
            VideoSource::TestPattern
        }
    };
    let chosen = options.audio_source.clone();
    let audio_source = match probe::resolve(&test, chosen, VK::None, AK::None) {
        Ok(m) => {
            findings.push(Finding::ok(
                "microphone",
                match (&m.audio_source, &options.audio_source) {
                    (AudioSource::Microphone, _) => {
                        "the sound server's default input opens".to_string()
                    }
                    (AudioSource::Device(d), _) => format!("{} opens", d.arg()),
                    (AudioSource::TestTone, AS::Test) => "not used (--audio-source test)".into(),
                    (AudioSource::TestTone, _) => "none found: the call sends a test tone".into(),
                },
            ));
            m.audio_source
        }
        Err(e) => {
            findings.push(device_problem("microphone", &e, "--audio-source test"));
            AudioSource::TestTone
        }
    };
    let video_sink = match probe::resolve(&test, AS::Test, options.video_sink, AK::None) {
        Ok(m) => {
            findings.push(Finding::ok(
                "display",
                match &m.video_sink {
                    VideoSink::Window(sink) => format!("a window opens ({})", sink.factory()),
                    _ if options.video_sink == VK::None => "not used (--video-sink none)".into(),
                    _ => "none: the call shows no video (headless)".into(),
                },
            ));
            m.video_sink
        }
        Err(e) => {
            findings.push(device_problem("display", &e, "--video-sink none"));
            VideoSink::Headless
        }
    };
    let audio_sink = match probe::resolve(&test, AS::Test, VK::None, options.audio_sink) {
        Ok(m) => {
            findings.push(Finding::ok(
                "sound output",
                match (m.audio_sink, options.audio_sink) {
                    (AudioSink::Speaker, _) => "the sound server's default output opens",
                    (_, AK::None) => "not used (--audio-sink none)",
                    _ => "none: the call plays no sound",
                },
            ));
            m.audio_sink
        }
        Err(e) => {
            findings.push(device_problem("sound output", &e, "--audio-sink none"));
            AudioSink::Headless
        }
    };
    ResolvedMedia {
        video_source,
        audio_source,
        video_sink,
        audio_sink,
    }
}

fn device_problem(subject: &str, error: &AppError, flag: &str) -> Finding {
    let kind = match error {
        AppError::MissingPlugin(_) => Kind::Element,
        _ => Kind::Device,
    };
    let detail = error.to_string();
    let detail = detail
        .split(": use --")
        .next()
        .unwrap_or(&detail)
        .to_string();
    Finding::problem(
        subject,
        detail,
        kind,
        format!("videocall call … {flag}   (call without it)"),
    )
}

/// Our four reception ports (RTP and RTCP of each medium) must be free on `ip`.
fn port_findings(ip: IpAddr, given: &prompt::GivenAnswers, findings: &mut Vec<Finding>) {
    for (slot, medium, flag) in [
        (1, "video", "--video-recv-port"),
        (3, "audio", "--audio-recv-port"),
    ] {
        let Some(text) = &given[slot] else {
            findings.push(Finding::ok(
                format!("{medium} reception ports"),
                format!("not given ({flag}): not checked"),
            ));
            continue;
        };
        let Ok(port) = validate::parse_rtp_port(text) else {
            findings.push(Finding::problem(
                format!("{medium} reception ports"),
                format!("'{text}' is not an even port number"),
                Kind::Network,
                format!("{flag} {}", free_pair(ip, 20_000).unwrap_or(20_000)),
            ));
            continue;
        };
        let taken: Vec<u16> = [port, port + 1]
            .into_iter()
            .filter(|p| UdpSocket::bind((ip, *p)).is_err())
            .collect();
        if taken.is_empty() {
            findings.push(Finding::ok(
                format!("{medium} reception ports"),
                format!("{port} and {} are free on {ip}", port + 1),
            ));
        } else {
            let other = free_pair(ip, port.saturating_add(2))
                .map_or_else(|| "another even port".to_string(), |p| p.to_string());
            findings.push(Finding::problem(
                format!("{medium} reception ports"),
                format!(
                    "port {} on {ip} is in use by another program (see: ss -ulpn 'sport = :{}')",
                    taken[0], taken[0]
                ),
                Kind::Network,
                format!("{flag} {other}   (a free pair; the peer sends there)"),
            ));
        }
    }
}

/// The first even port from `from` whose pair (RTP, RTCP) is free on `ip`.
fn free_pair(ip: IpAddr, from: u16) -> Option<u16> {
    (from..u16::MAX - 1)
        .step_by(2)
        .map(|p| p + p % 2)
        .take(500)
        .find(|p| UdpSocket::bind((ip, *p)).is_ok() && UdpSocket::bind((ip, p + 1)).is_ok())
}

/// One capture device, and how to choose it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Device {
    /// "video" or "audio".
    pub kind: &'static str,
    pub name: String,
    /// GStreamer's device class (`Video/Source`, `Audio/Source`).
    pub class: String,
    /// The flag that selects it.
    pub flag: &'static str,
    /// The exact value to give that flag; `None` when videocall cannot open this device by name.
    pub value: Option<String>,
}

/// The flag value for a device GStreamer's monitor reports, from its properties: the V4L2
/// path for a camera (`device.path`, or PipeWire's `api.v4l2.path`).
pub fn video_value(properties: &[(String, String)]) -> Option<String> {
    ["device.path", "api.v4l2.path"].iter().find_map(|key| {
        properties
            .iter()
            .find(|(k, v)| k == key && v.starts_with("/dev/"))
            .map(|(_, v)| v.clone())
    })
}

/// The `--audio-source` value for a capture element and its `device` property.
pub fn audio_value(factory: &str, device: &str) -> Option<String> {
    let system = match factory {
        "pulsesrc" => "pulse",
        "alsasrc" => "alsa",
        _ => return None,
    };
    Some(AudioDevice::parse(&format!("{system}:{device}"))?.arg())
}

/// The element a device makes, and its `device` property: what videocall sets to open it.
fn element_device(device: &gst::Device) -> Option<(String, String)> {
    let element = device.create_element(None).ok()?;
    let factory = element.factory()?.name().to_string();
    element.find_property("device")?;
    let name = element.property_value("device").get::<String>().ok()?;
    Some((factory, name))
}

/// The cameras and microphones GStreamer's device monitor finds.
pub fn list_devices() -> AppResult<Vec<Device>> {
    init_gstreamer()?;
    let monitor = gst::DeviceMonitor::new();
    monitor.add_filter(Some("Video/Source"), None);
    monitor.add_filter(Some("Audio/Source"), None);
    monitor
        .start()
        .map_err(|e| AppError::Media(format!("the device monitor did not start: {e}")))?;
    let devices = monitor.devices();
    monitor.stop();
    Ok(devices
        .iter()
        .map(|d| {
            let class = d.device_class().to_string();
            let properties: Vec<(String, String)> = d
                .properties()
                .map(|s| {
                    s.iter()
                        .filter_map(|(k, v)| v.get::<String>().ok().map(|v| (k.to_string(), v)))
                        .collect()
                })
                .unwrap_or_default();
            let video = class.starts_with("Video");
            Device {
                kind: if video { "video" } else { "audio" },
                name: d.display_name().to_string(),
                class,
                flag: if video {
                    "--video-source"
                } else {
                    "--audio-source"
                },
                value: if video {
                    video_value(&properties).or_else(|| element_device(d).map(|(_, v)| v))
                } else {
                    element_device(d).and_then(|(factory, name)| audio_value(&factory, &name))
                },
            }
        })
        .collect())
}

/// `videocall devices`: the list as text or one JSON object.
pub fn devices(json: bool) -> AppResult<()> {
    let devices = list_devices()?;
    if json {
        let value = serde_json::json!({ "devices": devices });
        println!("{value}");
        return Ok(());
    }
    if devices.is_empty() {
        println!(
            "no cameras or microphones found (the test sources always work: --video-source test --audio-source test)"
        );
    }
    for d in &devices {
        match &d.value {
            Some(v) => println!("{:<5} {}  ({}): {} {v}", d.kind, d.name, d.class, d.flag),
            None => println!(
                "{:<5} {}  ({}): not selectable by name",
                d.kind, d.name, d.class
            ),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_element_names_its_package_and_the_command() {
        let found = element_findings(&["x264enc", "rtpbin"], &|f| f != "x264enc");
        assert_eq!(
            found[0].problem,
            Some((
                Kind::Element,
                "apt-get install gstreamer1.0-plugins-ugly".into()
            ))
        );
        assert!(found[1].problem.is_none());
        let text = render(&found);
        assert!(text.contains("PROBLEM  element x264enc"), "{text}");
        assert!(!text.contains("all well"));
        assert!(matches!(verdict(&found), Err(AppError::MissingPlugin(_))));
    }

    #[test]
    fn all_well_is_success_and_says_so() {
        let found = element_findings(&["rtpbin"], &|_| true);
        assert!(verdict(&found).is_ok());
        assert!(render(&found).ends_with("all well: a call with these flags can run here\n"));
    }

    #[test]
    fn the_worst_problem_sets_the_exit() {
        let f = |k| Finding::problem("x", "y", k, "z");
        assert!(matches!(
            verdict(&[f(Kind::Device), f(Kind::Network)]),
            Err(AppError::Network(_))
        ));
        assert!(matches!(
            verdict(&[f(Kind::Device)]),
            Err(AppError::Input(_))
        ));
    }

    #[test]
    fn microphone_value_names_the_sound_system() {
        assert_eq!(
            audio_value("pulsesrc", "alsa_input.usb-mic").as_deref(),
            Some("pulse:alsa_input.usb-mic")
        );
        assert_eq!(audio_value("alsasrc", "hw:1").as_deref(), Some("alsa:hw:1"));
        assert_eq!(audio_value("pipewiresrc", "42"), None);
        // What devices prints, --audio-source takes.
        assert_eq!(
            AudioDevice::parse("alsa:hw:1"),
            Some(AudioDevice::Alsa("hw:1".into()))
        );
    }

    #[test]
    fn camera_value_is_the_v4l2_path() {
        let p = |k: &str, v: &str| (k.to_string(), v.to_string());
        assert_eq!(
            video_value(&[p("device.path", "/dev/video0")]).as_deref(),
            Some("/dev/video0")
        );
        assert_eq!(
            video_value(&[p("api.v4l2.path", "/dev/video2"), p("device.path", "x")]).as_deref(),
            Some("/dev/video2")
        );
        assert_eq!(video_value(&[p("object.path", "v4l2:/dev/video0")]), None);
    }
}
