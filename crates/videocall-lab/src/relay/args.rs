//! The relay's command line. Doc comments here are the `--help` text.

use std::net::IpAddr;
use std::time::Duration;

use clap::Args;

use super::plan::{Impairment, PeerAddress, RelayPlan};
use videocall_core::error::{AppError, AppResult};

/// Relay the four RTP/RTCP flows of a call between peers A and B, impairing each direction.
///
/// The relay listens on 8 ports from --port: A sends video to PORT and audio to PORT+2, B sends
/// video to PORT+4 and audio to PORT+6 (RTCP on each + 1). It prints the `videocall call` flags
/// of both peers. Impairments are SPECs: comma-separated `loss=2` (%), `delay=20-40` (ms),
/// `reorder=no`, `dup=1` (%), `cap=1000` (kbit/s per RTP flow; `cap=1000@5+20`: only from 5 s
/// for 20 s), `queue=200` (the cap queues up to 200 ms instead of dropping at once),
/// `outage=10+5` (drop everything from 10 s after the relay starts, for 5 s; repeatable).
#[derive(Debug, Args)]
pub struct RelayArgs {
    /// Address the relay receives on; the peers use it as their destination IP.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub listen_ip: IpAddr,
    /// First of the relay's 8 UDP ports (even).
    #[arg(long, value_name = "PORT", default_value_t = 6000)]
    pub port: u16,
    /// Listen on the peers' own port numbers instead of --port's 8: each peer sends to the port
    /// its peer receives on, as in a direct call. --listen-ip must then be an address of the
    /// relay's own, e.g. 127.0.0.2 with both peers on 127.0.0.1.
    #[arg(long)]
    pub mirror_ports: bool,
    /// Peer A's address.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub a_ip: IpAddr,
    /// Port peer A receives video RTP on (its --video-recv-port).
    #[arg(long, value_name = "PORT")]
    pub a_video_port: u16,
    /// Port peer A receives audio RTP on (its --audio-recv-port).
    #[arg(long, value_name = "PORT")]
    pub a_audio_port: u16,
    /// Peer B's address.
    #[arg(long, value_name = "IP", default_value = "127.0.0.1")]
    pub b_ip: IpAddr,
    /// Port peer B receives video RTP on.
    #[arg(long, value_name = "PORT")]
    pub b_video_port: u16,
    /// Port peer B receives audio RTP on.
    #[arg(long, value_name = "PORT")]
    pub b_audio_port: u16,
    #[command(flatten)]
    pub impairments: ImpairmentArgs,
    /// Stop after this many seconds (default: until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<f64>,
}

/// The impairment SPECs of the two directions; shared by `relay` and `bench` (which passes them
/// on to the relay it runs).
#[derive(Debug, Clone, Default, Args)]
pub struct ImpairmentArgs {
    /// Impairment of both directions.
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub both: String,
    /// Impairment of A → B only, applied on top of --both.
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub a_to_b: String,
    /// Impairment of B → A only, applied on top of --both.
    #[arg(long, value_name = "SPEC", default_value = "")]
    pub b_to_a: String,
}

impl ImpairmentArgs {
    /// The validated impairments of A → B and B → A.
    pub fn directions(&self) -> AppResult<(Impairment, Impairment)> {
        let both = Impairment::default()
            .apply_spec(&self.both)
            .map_err(|e| AppError::Input(format!("--both: {e}")))?;
        let a_to_b = both
            .clone()
            .apply_spec(&self.a_to_b)
            .map_err(|e| AppError::Input(format!("--a-to-b: {e}")))?;
        let b_to_a = both
            .apply_spec(&self.b_to_a)
            .map_err(|e| AppError::Input(format!("--b-to-a: {e}")))?;
        Ok((a_to_b, b_to_a))
    }

    /// Whether any SPEC was given (the bench then runs its call through a relay).
    pub fn any(&self) -> bool {
        [&self.both, &self.a_to_b, &self.b_to_a]
            .iter()
            .any(|s| !s.trim().is_empty())
    }

    /// The flags that give a `videocall relay` these SPECs.
    pub fn relay_flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        for (flag, spec) in [
            ("--both", &self.both),
            ("--a-to-b", &self.a_to_b),
            ("--b-to-a", &self.b_to_a),
        ] {
            if !spec.trim().is_empty() {
                flags.extend([flag.to_string(), spec.clone()]);
            }
        }
        flags
    }
}

impl RelayArgs {
    /// The validated plan.
    pub fn plan(&self) -> AppResult<RelayPlan> {
        let (a_to_b, b_to_a) = self.impairments.directions()?;
        let plan = RelayPlan {
            listen_ip: self.listen_ip,
            base: self.port,
            mirror_ports: self.mirror_ports,
            a: PeerAddress {
                ip: self.a_ip,
                video_port: self.a_video_port,
                audio_port: self.a_audio_port,
            },
            b: PeerAddress {
                ip: self.b_ip,
                video_port: self.b_video_port,
                audio_port: self.b_audio_port,
            },
            a_to_b,
            b_to_a,
        };
        plan.check().map_err(AppError::Input)?;
        Ok(plan)
    }

    /// How long to run, if limited.
    pub fn duration(&self) -> AppResult<Option<Duration>> {
        self.duration
            .map(|s| {
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        AppError::Input(format!(
                            "--duration: {s} is not a positive number of seconds"
                        ))
                    })
            })
            .transpose()
    }
}
