//! Configuration: the validated values a call runs with, the command line that gives them, and
//! the prompts that ask for what the command line left out.

pub mod call_config;
pub mod cli;
pub mod config_file;
pub mod model;
pub mod prompt;
pub mod protection;
pub mod record;
pub mod resilience;
pub mod security_args;
pub mod validate;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use call_config::CallConfig;
pub use model::*;
pub use protection::{PeerSecurity, SessionSecurity};
pub use security_args::ProtectionChoice;

/// The six questions of the brief, in the order they are asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    VideoDestPort,
    VideoRecvPort,
    AudioDestPort,
    AudioRecvPort,
    LocalIp,
    RemoteIp,
}

impl Question {
    /// The questions in the brief's order.
    pub const ALL: [Question; 6] = [
        Question::VideoDestPort,
        Question::VideoRecvPort,
        Question::AudioDestPort,
        Question::AudioRecvPort,
        Question::LocalIp,
        Question::RemoteIp,
    ];

    /// The brief's wording of the question.
    pub fn prompt(self) -> &'static str {
        match self {
            Question::VideoDestPort => "Set port video destination",
            Question::VideoRecvPort => "Set port video reception",
            Question::AudioDestPort => "Set port audio destination",
            Question::AudioRecvPort => "Set port audio reception",
            Question::LocalIp => "Set local direction ip",
            Question::RemoteIp => "Set destination direction ip",
        }
    }

    /// The flag that answers the question on the command line.
    pub fn flag(self) -> &'static str {
        match self {
            Question::VideoDestPort => "--video-dest-port",
            Question::VideoRecvPort => "--video-recv-port",
            Question::AudioDestPort => "--audio-dest-port",
            Question::AudioRecvPort => "--audio-recv-port",
            Question::LocalIp => "--local-ip",
            Question::RemoteIp => "--remote-ip",
        }
    }

    fn describes(self) -> &'static str {
        match self {
            Question::VideoDestPort => "video destination port",
            Question::VideoRecvPort => "video reception port",
            Question::AudioDestPort => "audio destination port",
            Question::AudioRecvPort => "audio reception port",
            Question::LocalIp => "local IP",
            Question::RemoteIp => "destination IP",
        }
    }
}

/// The ports of one medium. RTP uses the given port and RTCP the port + 1, in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPorts {
    /// Where the peer receives our RTP (its RTCP on + 1).
    pub dest_rtp: u16,
    /// Where we receive the peer's RTP (its RTCP on + 1).
    pub recv_rtp: u16,
}

impl StreamPorts {
    pub fn dest_rtcp(self) -> u16 {
        self.dest_rtp + 1
    }
    pub fn recv_rtcp(self) -> u16 {
        self.recv_rtp + 1
    }
}

/// Where a call sends and receives: the validated answers to the six questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoints {
    pub local_ip: IpAddr,
    pub remote_ip: IpAddr,
    pub video: StreamPorts,
    pub audio: StreamPorts,
}

impl Endpoints {
    /// The values the peer must enter: the same ports with destination and reception swapped,
    /// and the addresses swapped.
    pub fn mirror(self) -> Endpoints {
        let swap = |p: StreamPorts| StreamPorts {
            dest_rtp: p.recv_rtp,
            recv_rtp: p.dest_rtp,
        };
        Endpoints {
            local_ip: self.remote_ip,
            remote_ip: self.local_ip,
            video: swap(self.video),
            audio: swap(self.audio),
        }
    }

    /// The four local ports we bind, for the port-in-use check.
    pub fn receive_ports(self) -> [u16; 4] {
        [
            self.video.recv_rtp,
            self.video.recv_rtcp(),
            self.audio.recv_rtp,
            self.audio.recv_rtcp(),
        ]
    }
}

/// The two peers' endpoints for a loopback call starting at port `base` (8 ports).
pub fn loopback_pair(base: u16) -> (Endpoints, Endpoints) {
    let ip = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
    let a = Endpoints {
        local_ip: ip,
        remote_ip: ip,
        video: StreamPorts {
            dest_rtp: base,
            recv_rtp: base + 2,
        },
        audio: StreamPorts {
            dest_rtp: base + 4,
            recv_rtp: base + 6,
        },
    };
    (a, a.mirror())
}

/// Answers collected so far; each is validated against the ones before it when it is given.
#[derive(Debug, Default, Clone)]
pub struct Answers {
    video_dest: Option<u16>,
    video_recv: Option<u16>,
    audio_dest: Option<u16>,
    audio_recv: Option<u16>,
    local_ip: Option<IpAddr>,
    remote_ip: Option<IpAddr>,
}

impl Answers {
    /// Validates `text` as the answer to `question` and keeps it, or says why it is refused.
    /// `is_ours` tells whether an address belongs to this machine.
    pub fn accept(
        &mut self,
        question: Question,
        text: &str,
        is_ours: &dyn Fn(IpAddr) -> bool,
    ) -> Result<(), String> {
        use validate::*;
        let same_direction = |ports: &[(Question, Option<u16>)]| -> Vec<(&'static str, u16)> {
            ports
                .iter()
                .filter_map(|(q, p)| p.map(|p| (q.describes(), p)))
                .collect()
        };
        match question {
            Question::VideoDestPort => self.video_dest = Some(parse_rtp_port(text)?),
            Question::VideoRecvPort => self.video_recv = Some(parse_rtp_port(text)?),
            Question::AudioDestPort => {
                let port = parse_rtp_port(text)?;
                check_no_clash(
                    port,
                    &same_direction(&[(Question::VideoDestPort, self.video_dest)]),
                )?;
                self.audio_dest = Some(port);
            }
            Question::AudioRecvPort => {
                let port = parse_rtp_port(text)?;
                check_no_clash(
                    port,
                    &same_direction(&[(Question::VideoRecvPort, self.video_recv)]),
                )?;
                self.audio_recv = Some(port);
            }
            Question::LocalIp => self.local_ip = Some(parse_local_ip(text, is_ours)?),
            Question::RemoteIp => {
                let local = self
                    .local_ip
                    .ok_or("the local IP must be given before the destination IP")?;
                let remote = parse_remote_ip(text, local)?;
                self.check_not_sending_to_ourselves(local, remote)?;
                self.remote_ip = Some(remote);
            }
        }
        Ok(())
    }

    /// A peer on our own address must receive on other ports than we do, or we would send our
    /// media to ourselves.
    fn check_not_sending_to_ourselves(&self, local: IpAddr, remote: IpAddr) -> Result<(), String> {
        if local != remote {
            return Ok(());
        }
        let ours = [self.video_recv, self.audio_recv];
        for (name, dest) in [("video", self.video_dest), ("audio", self.audio_dest)] {
            if let Some(dest) = dest
                && ours.iter().flatten().any(|recv| dest.abs_diff(*recv) < 2)
            {
                return Err(format!(
                    "the {name} destination port {dest} is one of our own reception ports on {local}: \
                     a peer on the same address needs other ports"
                ));
            }
        }
        Ok(())
    }

    /// The endpoints, once every question is answered.
    pub fn endpoints(&self) -> Option<Endpoints> {
        Some(Endpoints {
            local_ip: self.local_ip?,
            remote_ip: self.remote_ip?,
            video: StreamPorts {
                dest_rtp: self.video_dest?,
                recv_rtp: self.video_recv?,
            },
            audio: StreamPorts {
                dest_rtp: self.audio_dest?,
                recv_rtp: self.audio_recv?,
            },
        })
    }
}

/// Where the JSON statistics go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonTarget {
    Stdout,
    File(PathBuf),
}

/// `--report FILE.html`: where the call report goes, and the lines under its title (peer,
/// addresses, encryption) that the command running the call knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub path: PathBuf,
    pub about: Vec<(String, String)>,
}

/// Everything about a call except where it sends: media choices, timing and reporting.
#[derive(Debug, Clone, PartialEq)]
pub struct CallOptions {
    pub video_source: VideoSourceChoice,
    pub audio_source: AudioSourceChoice,
    pub video_sink: VideoSinkChoice,
    pub audio_sink: AudioSinkChoice,
    /// The jitter buffer's target latency.
    pub jitter_buffer: Duration,
    pub video_decoder: crate::config::VideoDecoder,
    pub audio_payload: crate::config::AacPayload,
    pub stats_interval: Duration,
    /// Show the live terminal dashboard instead of text lines (stdout is a terminal, no
    /// `--plain`).
    pub dashboard: bool,
    pub stats_json: Option<JsonTarget>,
    /// The call report page (`--report`).
    pub report: Option<ReportTarget>,
    pub duration: Option<Duration>,
    /// Where each adaptation tick's sample is written (`--record-samples`).
    pub record_samples: Option<PathBuf>,
    /// Cancel echo when a microphone hears a speaker (off with `--no-echo-cancel`).
    pub echo_cancel: bool,
    /// The Matroska files the call records to (`--record`, `--record-sent`).
    pub record: record::RecordFiles,
    /// Loss repair and adaptation switches.
    pub resilience: resilience::Resilience,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_all(values: [&str; 6]) -> Result<Answers, String> {
        let mut answers = Answers::default();
        for (q, v) in Question::ALL.into_iter().zip(values) {
            answers.accept(q, v, &|ip: IpAddr| ip.is_loopback())?;
        }
        Ok(answers)
    }

    #[test]
    fn loopback_pair_is_mirrored_and_disjoint() {
        let (a, b) = loopback_pair(30000);
        assert_eq!(a.mirror(), b);
        let mut ports: Vec<u16> = a
            .receive_ports()
            .into_iter()
            .chain(b.receive_ports())
            .collect();
        ports.sort();
        ports.dedup();
        assert_eq!(ports.len(), 8);
    }
    #[test]
    fn mirror_values_make_a_call() {
        let a = answer_all(["5000", "5002", "5004", "5006", "127.0.0.1", "127.0.0.1"])
            .unwrap()
            .endpoints()
            .unwrap();
        let b = answer_all(["5002", "5000", "5006", "5004", "127.0.0.1", "127.0.0.1"])
            .unwrap()
            .endpoints()
            .unwrap();
        assert_eq!(a.mirror(), b);
        assert_eq!(a.video.recv_rtcp(), 5003);
        assert_eq!(a.receive_ports(), [5002, 5003, 5006, 5007]);
    }

    #[test]
    fn same_port_twice_in_one_direction_is_refused() {
        let err =
            answer_all(["5000", "5002", "5000", "5006", "127.0.0.1", "127.0.0.2"]).unwrap_err();
        assert!(
            err.contains("clashes with the video destination port"),
            "{err}"
        );
        let err =
            answer_all(["5000", "5002", "5004", "5003", "127.0.0.1", "127.0.0.2"]).unwrap_err();
        assert!(err.contains("odd"), "{err}");
        let err =
            answer_all(["5000", "5002", "5004", "5002", "127.0.0.1", "127.0.0.2"]).unwrap_err();
        assert!(
            err.contains("clashes with the video reception port"),
            "{err}"
        );
    }

    #[test]
    fn same_ports_both_ways_are_fine_between_two_hosts_but_not_on_one() {
        assert!(answer_all(["5000", "5000", "5002", "5002", "127.0.0.1", "127.0.0.2"]).is_ok());
        let err =
            answer_all(["5000", "5000", "5002", "5002", "127.0.0.1", "127.0.0.1"]).unwrap_err();
        assert!(err.contains("our own reception ports"), "{err}");
    }
}
