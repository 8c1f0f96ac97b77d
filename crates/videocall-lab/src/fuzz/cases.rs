//! The malformed datagrams the fuzzer sends: pure functions of a random source, one per kind of
//! damage, so a failing seed can be replayed.

use rand::Rng;
use videocall_core::security::exchange::wire::FIRST_BYTE as EXCHANGE_FIRST_BYTE;
use videocall_core::security::exchange::{Kind, Message};

/// One kind of damage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    RandomBytes,
    TruncatedRtp,
    OversizedRtp,
    WrongVersion,
    BogusCsrcCount,
    BogusExtensionLength,
    BogusPadding,
    UnknownPayloadType,
    CorruptH264,
    CorruptAac,
    BogusRtcp,
    TruncatedRtcpCompound,
    BogusSdesBye,
    /// Well-formed sequential streams with a steady SSRC each, one per payload type in
    /// [`STREAM_PTS`] (ours, their RTX, RED and FEC types, and others), garbage payloads.
    GarbageStreams,
    /// Well-formed sequential packets of our payload types from a new SSRC every third packet
    /// (enough to pass rtpbin's probation), garbage payloads.
    NewSsrcs,
    /// Datagrams with the key exchange's first byte: truncated, of unknown kinds, of wrong
    /// lengths, random.
    ExchangeGarbage,
    /// Well-formed key-exchange messages of every kind from made-up instances, to us or to
    /// anyone, at random epochs, with random bodies.
    ExchangeForged,
}

impl Case {
    pub const ALL: [Case; 13] = [
        Case::RandomBytes,
        Case::TruncatedRtp,
        Case::OversizedRtp,
        Case::WrongVersion,
        Case::BogusCsrcCount,
        Case::BogusExtensionLength,
        Case::BogusPadding,
        Case::UnknownPayloadType,
        Case::CorruptH264,
        Case::CorruptAac,
        Case::BogusRtcp,
        Case::TruncatedRtcpCompound,
        Case::BogusSdesBye,
    ];

    /// The stream cases, not in [`Case::ALL`]: chosen with `--only`.
    pub const STREAMS: [Case; 2] = [Case::GarbageStreams, Case::NewSsrcs];

    /// The key-exchange cases, not in [`Case::ALL`]: chosen with `--only`.
    pub const EXCHANGE: [Case; 2] = [Case::ExchangeGarbage, Case::ExchangeForged];
}

/// Payload types of the garbage streams: H.264, AAC, their RTX, FEC, RED, RED's RTX, and a
/// few static and unused dynamic ones.
pub const STREAM_PTS: [u8; 12] = [96, 97, 98, 99, 100, 101, 102, 0, 8, 33, 111, 127];

/// Payload types the call uses, so "well-formed RTP with corrupt media" reaches the depayloaders.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    pub video_pt: u8,
    pub audio_pt: u8,
}

/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// A fixed-SSRC, sequential stream of well-formed headers for the corrupt-media cases only, so
/// rtpbin validates the source (probation) and the payloads get as far as the depayloader and
/// decoder.
#[derive(Debug, Clone)]
pub struct Forger {
    pub ssrc: u32,
    pub seq: u16,
    pub timestamp: u32,
}

/// One forged stream per medium, each sequential on its own, one per garbage stream payload
/// type, and one whose SSRC keeps changing.
#[derive(Debug, Clone)]
pub struct Forgers {
    pub video: Forger,
    pub audio: Forger,
    pub streams: Vec<Forger>,
    pub rotating: Forger,
    sent: u64,
}

impl Forgers {
    pub fn new(rng: &mut impl Rng) -> Forgers {
        Forgers {
            video: Forger::new(rng),
            audio: Forger::new(rng),
            streams: STREAM_PTS.iter().map(|_| Forger::new(rng)).collect(),
            rotating: Forger::new(rng),
            sent: 0,
        }
    }
}

impl Forger {
    pub fn new(rng: &mut impl Rng) -> Forger {
        Forger {
            ssrc: rng.random(),
            seq: rng.random(),
            timestamp: rng.random(),
        }
    }

    fn header(&mut self, pt: u8, marker: bool) -> Vec<u8> {
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(3000);
        let mut h = vec![0x80, (u8::from(marker) << 7) | (pt & 0x7f)];
        h.extend_from_slice(&self.seq.to_be_bytes());
        h.extend_from_slice(&self.timestamp.to_be_bytes());
        h.extend_from_slice(&self.ssrc.to_be_bytes());
        h
    }
}

fn random_bytes(rng: &mut impl Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v[..]);
    v
}

fn rtp_header(rng: &mut impl Rng, pt: u8) -> Vec<u8> {
    let mut h = vec![0x80, pt & 0x7f];
    h.extend_from_slice(&random_bytes(rng, 10));
    h
}

/// One datagram of kind `case`.
pub fn datagram(case: Case, target: Target, forgers: &mut Forgers, rng: &mut impl Rng) -> Vec<u8> {
    match case {
        Case::RandomBytes => {
            let len = rng.random_range(0..=1500);
            random_bytes(rng, len)
        }
        Case::TruncatedRtp => {
            let mut d = rtp_header(rng, target.video_pt);
            d.truncate(rng.random_range(0..12));
            d
        }
        Case::OversizedRtp => {
            let mut d = rtp_header(rng, target.video_pt);
            let len = rng.random_range(1500..=MAX_DATAGRAM - 12);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::WrongVersion => {
            let mut d = rtp_header(rng, target.video_pt);
            d[0] = (d[0] & 0x3f) | ([0u8, 1, 3][rng.random_range(0..3)] << 6);
            let len = rng.random_range(0..200);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::BogusCsrcCount => {
            let mut d = rtp_header(rng, target.video_pt);
            d[0] |= 0x0f;
            let len = rng.random_range(0..60);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::BogusExtensionLength => {
            let mut d = rtp_header(rng, target.audio_pt);
            d[0] |= 0x10;
            d.extend_from_slice(&[0xbe, 0xde, 0xff, 0xff]);
            let len = rng.random_range(0..40);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::BogusPadding => {
            let mut d = rtp_header(rng, target.video_pt);
            d[0] |= 0x20;
            let len = rng.random_range(1..20);
            d.extend(random_bytes(rng, len));
            *d.last_mut().expect("not empty") = 0xff;
            d
        }
        Case::UnknownPayloadType => {
            let pt = loop {
                let pt = rng.random_range(0..128u8);
                if pt != target.video_pt && pt != target.audio_pt {
                    break pt;
                }
            };
            let mut d = rtp_header(rng, pt);
            let len = rng.random_range(0..1200);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::CorruptH264 => {
            let marker = rng.random_bool(0.3);
            let mut d = forgers.video.header(target.video_pt, marker);
            let nal_type = [1u8, 5, 7, 8, 24, 25, 26, 27, 28, 29, 0, 31][rng.random_range(0..12)];
            d.push(0x60 | nal_type);
            match nal_type {
                // STAP-A: aggregated NAL units whose sizes overrun the packet.
                24 => d.extend_from_slice(&[0xff, 0xff, 0x67, 0x42]),
                // FU-A: random start/end bits and a random inner type.
                28 => d.push(rng.random::<u8>() & 0xdf),
                _ => {}
            }
            let len = rng.random_range(0..1100);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::CorruptAac => {
            let mut d = forgers.audio.header(target.audio_pt, true);
            // AU-headers-length in bits, then AU headers (13-bit size + 3-bit index), all random.
            d.extend_from_slice(&rng.random::<u16>().to_be_bytes());
            let len = rng.random_range(0..400);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::BogusRtcp => {
            let count = rng.random_range(0..32u8);
            let pt = rng.random_range(192..=223u8);
            let mut d = vec![0x80 | count, pt];
            d.extend_from_slice(&rng.random::<u16>().to_be_bytes());
            let len = rng.random_range(0..300);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::TruncatedRtcpCompound => {
            // A plausible SR followed by a second packet cut short.
            let mut d = vec![0x80, 200, 0, 6];
            d.extend_from_slice(&forgers.video.ssrc.to_be_bytes());
            d.extend(random_bytes(rng, 20));
            d.extend_from_slice(&[0x81, 201, 0, 7]);
            let len = rng.random_range(0..12);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::GarbageStreams => {
            forgers.sent += 1;
            let index = (forgers.sent % STREAM_PTS.len() as u64) as usize;
            let marker = rng.random_bool(0.3);
            let mut d = forgers.streams[index].header(STREAM_PTS[index], marker);
            let len = rng.random_range(0..1100);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::NewSsrcs => {
            forgers.sent += 1;
            if forgers.sent.is_multiple_of(3) {
                forgers.rotating.ssrc = rng.random();
            }
            let pt = [target.video_pt, target.audio_pt][(forgers.sent / 3 % 2) as usize];
            let mut d = forgers.rotating.header(pt, rng.random_bool(0.3));
            let len = rng.random_range(0..1100);
            d.extend(random_bytes(rng, len));
            d
        }
        Case::ExchangeGarbage => {
            let valid = Message {
                kind: Kind::Reveal,
                from: rng.random::<u64>() | 1,
                to: rng.random(),
                epoch: rng.random(),
                body: random_bytes(rng, Kind::Reveal.body_len()),
            }
            .encode();
            let mut d = match rng.random_range(0..4) {
                // Truncated anywhere.
                0 => valid[..rng.random_range(1..valid.len())].to_vec(),
                // An unknown kind.
                1 => {
                    let mut d = valid;
                    d[5] = rng.random_range(6..=255);
                    d
                }
                // Too long.
                2 => {
                    let mut d = valid;
                    let more = rng.random_range(1..1200);
                    d.extend(random_bytes(rng, more));
                    d
                }
                _ => {
                    let len = rng.random_range(1..1400);
                    random_bytes(rng, len)
                }
            };
            d[0] = EXCHANGE_FIRST_BYTE;
            d
        }
        Case::ExchangeForged => {
            let kind = Kind::ALL[rng.random_range(0..Kind::ALL.len())];
            let body_len = kind.body_len();
            Message {
                kind,
                from: rng.random::<u64>() | 1,
                to: if rng.random_bool(0.5) {
                    0
                } else {
                    rng.random()
                },
                epoch: rng.random_range(0..4),
                body: random_bytes(rng, body_len),
            }
            .encode()
        }
        Case::BogusSdesBye => {
            let sdes = rng.random_bool(0.5);
            let mut d = vec![0x80 | 31, if sdes { 202 } else { 203 }, 0, 40];
            d.extend_from_slice(&forgers.video.ssrc.to_be_bytes());
            // An item (or reason) whose length runs past the end.
            d.extend_from_slice(&[1, 0xff]);
            let len = rng.random_range(0..50);
            d.extend(random_bytes(rng, len));
            d
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn every_case_fits_in_a_datagram_and_is_what_it_claims() {
        let mut rng = StdRng::seed_from_u64(7);
        let target = Target {
            video_pt: 96,
            audio_pt: 97,
        };
        let mut forgers = Forgers::new(&mut rng);
        for case in Case::ALL
            .into_iter()
            .chain(Case::STREAMS)
            .chain(Case::EXCHANGE)
        {
            for _ in 0..50 {
                let d = datagram(case, target, &mut forgers, &mut rng);
                assert!(d.len() <= MAX_DATAGRAM, "{case:?}");
                match case {
                    Case::TruncatedRtp => assert!(d.len() < 12),
                    Case::WrongVersion => assert_ne!(d[0] >> 6, 2),
                    Case::BogusCsrcCount => assert_eq!(d[0] & 0x0f, 15),
                    Case::CorruptH264 => assert_eq!(d[1] & 0x7f, 96),
                    Case::CorruptAac => assert_eq!(d[1] & 0x7f, 97),
                    Case::UnknownPayloadType => assert!(![96, 97].contains(&(d[1] & 0x7f))),
                    Case::BogusRtcp => assert!((192..=223).contains(&d[1])),
                    Case::GarbageStreams => assert!(STREAM_PTS.contains(&(d[1] & 0x7f))),
                    Case::NewSsrcs => assert!([96, 97].contains(&(d[1] & 0x7f))),
                    Case::ExchangeGarbage => {
                        assert_eq!(d[0], EXCHANGE_FIRST_BYTE);
                        assert!(Message::decode(&d).is_none());
                    }
                    Case::ExchangeForged => assert!(Message::decode(&d).is_some()),
                    _ => {}
                }
            }
        }
    }

    #[test]
    fn forged_stream_is_sequential() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut forgers = Forgers::new(&mut rng);
        let target = Target {
            video_pt: 96,
            audio_pt: 97,
        };
        let a = datagram(Case::CorruptH264, target, &mut forgers, &mut rng);
        let _ = datagram(Case::CorruptAac, target, &mut forgers, &mut rng);
        let _ = datagram(Case::BogusCsrcCount, target, &mut forgers, &mut rng);
        let b = datagram(Case::CorruptH264, target, &mut forgers, &mut rng);
        let seq = |d: &[u8]| u16::from_be_bytes([d[2], d[3]]);
        assert_eq!(seq(&b), seq(&a).wrapping_add(1));
        assert_eq!(a[8..12], b[8..12]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use rand::SeedableRng;

    use super::*;

    proptest! {
    #[test]
    fn the_fuzzer_makes_only_sendable_datagrams(seed in any::<u64>(), index in 0usize..13) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut forgers = Forgers::new(&mut rng);
        let target = Target { video_pt: 96, audio_pt: 97 };
        let d = datagram(Case::ALL[index], target, &mut forgers, &mut rng);
        prop_assert!(d.len() <= MAX_DATAGRAM);
    }
    }
}
