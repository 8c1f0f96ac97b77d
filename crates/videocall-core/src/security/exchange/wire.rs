//! The exchange's datagrams. They share the call's RTP port with media and are told apart by
//! their first byte (RFC 7983's scheme): 19 lies in the range RFC 7983 gives ZRTP (16–19), far
//! from RTP and RTCP (128–191), STUN (0–3), DTLS (20–63) and TURN (64–79).
//!
//! ```text
//! byte 0      19 (FIRST_BYTE)
//! bytes 1-4   "VCX1" (protocol and version)
//! byte 5      kind: 1 Hello, 2 Commit, 3 Share, 4 Reveal, 5 Confirm
//! bytes 6-13  sender's instance id (random per process, big-endian)
//! bytes 14-21 receiver's instance id (0 in a Hello to an unknown peer)
//! bytes 22-25 epoch (0 for a call's first keys, +1 per re-key)
//! bytes 26-   body, exact length per kind:
//!             Hello 0, Commit 32 (SHA-256 of the SPAKE2 message to come),
//!             Share 33 (SPAKE2 message), Reveal 33 + 32 (SPAKE2 message, confirmation),
//!             Confirm 32 (confirmation)
//! ```

/// The first byte of every exchange datagram.
pub const FIRST_BYTE: u8 = 19;
const MAGIC: &[u8; 4] = b"VCX1";
const HEADER: usize = 26;
/// SPAKE2 (Ed25519 group) message length.
pub const SPAKE2_MSG: usize = 33;
/// Commitment and confirmation length.
pub const DIGEST: usize = 32;

/// The five messages of the exchange (docs/security.md has the sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// "I am here, run an exchange with me at this epoch."
    Hello = 1,
    /// The initiator's commitment to its SPAKE2 message.
    Commit = 2,
    /// The responder's SPAKE2 message.
    Share = 3,
    /// The initiator's SPAKE2 message and key confirmation.
    Reveal = 4,
    /// The responder's key confirmation.
    Confirm = 5,
}

impl Kind {
    /// Every kind, in protocol order.
    pub const ALL: [Kind; 5] = [
        Kind::Hello,
        Kind::Commit,
        Kind::Share,
        Kind::Reveal,
        Kind::Confirm,
    ];

    fn from_byte(b: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| *k as u8 == b)
    }

    /// The exact body length of this kind.
    pub fn body_len(self) -> usize {
        match self {
            Kind::Hello => 0,
            Kind::Commit | Kind::Confirm => DIGEST,
            Kind::Share => SPAKE2_MSG,
            Kind::Reveal => SPAKE2_MSG + DIGEST,
        }
    }
}

/// One exchange datagram, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub kind: Kind,
    pub from: u64,
    pub to: u64,
    pub epoch: u32,
    pub body: Vec<u8>,
}

/// True when a datagram belongs to the exchange (by its first byte), not to RTP or RTCP.
pub fn is_exchange(datagram: &[u8]) -> bool {
    datagram.first() == Some(&FIRST_BYTE)
}

impl Message {
    /// The datagram.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(HEADER + self.body.len());
        out.push(FIRST_BYTE);
        out.extend_from_slice(MAGIC);
        out.push(self.kind as u8);
        out.extend_from_slice(&self.from.to_be_bytes());
        out.extend_from_slice(&self.to.to_be_bytes());
        out.extend_from_slice(&self.epoch.to_be_bytes());
        out.extend_from_slice(&self.body);
        out
    }

    /// Parses a datagram; `None` for anything that is not exactly a well-formed message.
    pub fn decode(datagram: &[u8]) -> Option<Message> {
        if datagram.len() < HEADER || datagram[0] != FIRST_BYTE || &datagram[1..5] != MAGIC {
            return None;
        }
        let kind = Kind::from_byte(datagram[5])?;
        let body = &datagram[HEADER..];
        if body.len() != kind.body_len() {
            return None;
        }
        let u64_at = |i: usize| u64::from_be_bytes(datagram[i..i + 8].try_into().expect("8 bytes"));
        let from = u64_at(6);
        if from == 0 {
            return None;
        }
        Some(Message {
            kind,
            from,
            to: u64_at(14),
            epoch: u32::from_be_bytes(datagram[22..26].try_into().expect("4 bytes")),
            body: body.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(kind: Kind) -> Message {
        Message {
            kind,
            from: 0x0102030405060708,
            to: 9,
            epoch: 3,
            body: vec![0xab; kind.body_len()],
        }
    }

    #[test]
    fn every_kind_round_trips_and_is_told_from_rtp() {
        for kind in Kind::ALL {
            let m = sample(kind);
            let bytes = m.encode();
            assert!(is_exchange(&bytes));
            assert_eq!(Message::decode(&bytes), Some(m));
        }
        // RTP/RTCP (version 2) and DTLS never start with the exchange byte.
        assert!(!is_exchange(&[0x80, 96, 0, 1]));
        assert!(!is_exchange(&[0x81, 200]));
        assert!(!is_exchange(&[22, 0xfe, 0xfd]));
        assert!(!is_exchange(&[]));
    }

    #[test]
    fn malformed_datagrams_are_refused() {
        let good = sample(Kind::Reveal).encode();
        for cut in 0..good.len() {
            assert_eq!(Message::decode(&good[..cut]), None, "truncated at {cut}");
        }
        let mut longer = good.clone();
        longer.push(0);
        assert_eq!(Message::decode(&longer), None);
        let mut bad_kind = good.clone();
        bad_kind[5] = 9;
        assert_eq!(Message::decode(&bad_kind), None);
        let mut bad_magic = good.clone();
        bad_magic[2] = b'x';
        assert_eq!(Message::decode(&bad_magic), None);
        let mut no_sender = sample(Kind::Hello);
        no_sender.from = 0;
        assert_eq!(Message::decode(&no_sender.encode()), None);
    }
}
