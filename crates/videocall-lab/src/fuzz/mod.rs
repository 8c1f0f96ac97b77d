//! `videocall fuzz` (hidden): sends malformed datagrams to a running call's reception ports, so
//! tests and the security notes can show that garbage never hurts. Loopback targets only.

pub mod cases;

use std::net::{IpAddr, UdpSocket};
use std::time::{Duration, Instant};

use clap::Args;
use rand::SeedableRng;
use rand::rngs::StdRng;

use cases::{Case, Forgers, Target, datagram};
use videocall_core::error::{AppError, AppResult};
use videocall_core::plan::media::{AudioSettings, VideoSettings};

/// Where and how much to fuzz.
#[derive(Debug, Args)]
pub struct FuzzArgs {
    /// Address of the call under test (loopback only: 127.0.0.0/8 or ::1).
    #[arg(long, default_value = "127.0.0.1")]
    pub target: IpAddr,
    /// Reception ports to hit, comma-separated (a call's four: video RTP/RTCP, audio RTP/RTCP).
    #[arg(long, value_delimiter = ',', required = true)]
    pub ports: Vec<u16>,
    /// Address to send from (e.g. 127.0.0.2 to play a stranger).
    #[arg(long, default_value = "127.0.0.1")]
    pub from: IpAddr,
    /// Datagrams per port.
    #[arg(long, default_value_t = 2000)]
    pub count: u64,
    /// Datagrams per second per port.
    #[arg(long, default_value_t = 1000)]
    pub rate: u64,
    /// Random seed (a run is replayable).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Only these kinds of damage (comma-separated, e.g. CorruptAac,BogusRtcp); default all.
    #[arg(long, value_delimiter = ',', value_parser = parse_case)]
    pub only: Vec<Case>,
}

fn parse_case(text: &str) -> Result<Case, String> {
    Case::ALL
        .into_iter()
        .chain(Case::STREAMS)
        .chain(Case::EXCHANGE)
        .find(|c| format!("{c:?}").eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            format!(
                "'{text}': use one of {:?}, {:?} or {:?}",
                Case::ALL,
                Case::STREAMS,
                Case::EXCHANGE
            )
        })
}

/// Refuses targets off this machine: the fuzzer must never reach another host.
pub fn check_target(target: IpAddr) -> Result<(), String> {
    if target.is_loopback() {
        Ok(())
    } else {
        Err(format!(
            "--target {target}: the fuzzer only sends to loopback addresses"
        ))
    }
}

/// Sends `count` datagrams of every kind, round-robin, to each port; prints the totals.
pub fn run(args: &FuzzArgs) -> AppResult<()> {
    check_target(args.target).map_err(AppError::Input)?;
    if args.rate == 0 {
        return Err(AppError::Input("--rate must be more than 0".into()));
    }
    let socket = UdpSocket::bind((args.from, 0))
        .map_err(|e| AppError::Network(format!("cannot bind {}: {e}", args.from)))?;
    let mut rng = StdRng::seed_from_u64(args.seed);
    let target = Target {
        video_pt: VideoSettings::default().payload_type,
        audio_pt: AudioSettings::default().payload_type,
    };
    let mut forgers: Vec<Forgers> = args.ports.iter().map(|_| Forgers::new(&mut rng)).collect();
    let started = Instant::now();
    let (mut sent, mut refused, mut bytes) = (0u64, 0u64, 0u64);
    let cases: &[Case] = if args.only.is_empty() {
        &Case::ALL
    } else {
        &args.only
    };
    for i in 0..args.count {
        let case = cases[(i % cases.len() as u64) as usize];
        for (port, forger) in args.ports.iter().zip(&mut forgers) {
            let d = datagram(case, target, forger, &mut rng);
            match socket.send_to(&d, (args.target, *port)) {
                Ok(_) => {
                    sent += 1;
                    bytes += d.len() as u64;
                }
                // A port with nothing bound answers ICMP unreachable: counted, not fatal.
                Err(_) => refused += 1,
            }
        }
        // Pace to the rate: a tool loop, not the call's main loop.
        let due = Duration::from_secs_f64((i + 1) as f64 / args.rate as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    println!(
        "fuzz: {} datagrams to each of {} port(s) on {} from {} ({sent} sent, {refused} refused, {} kB) in {:.1} s, seed {}",
        args.count,
        args.ports.len(),
        args.target,
        args.from,
        bytes / 1000,
        started.elapsed().as_secs_f64(),
        args.seed
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_is_a_target() {
        assert!(check_target("127.0.0.9".parse().unwrap()).is_ok());
        assert!(check_target("::1".parse().unwrap()).is_ok());
        assert!(check_target("192.168.1.1".parse().unwrap()).is_err());
    }
}
