//! Property tests: the project's own parsers and validators take any input without panicking,
//! and keep their promises (what they accept is valid). Everything that reads text or bytes
//! from outside: prompt answers and flags, the passphrase and its KDF, rtpbin pad names, the
//! H.264 payload guard, SDES `a=crypto` lines.

use std::net::IpAddr;

use proptest::prelude::*;

use crate::build::session::parse_recv_pad_name;
use crate::build::workarounds::payload_guard::{
    aac_payload_is_plausible, h264_payload_is_supported,
};
use crate::config::validate::*;
use crate::config::{Answers, Question};
use crate::security::passphrase::{Sources, resolve};
use crate::security::{CallPassword, SrtpSuite};

fn loopback(ip: IpAddr) -> bool {
    ip.is_loopback()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_port_text_is_an_even_port_in_range_or_a_reason(text in ".{0,24}") {
        match parse_rtp_port(&text) {
            Ok(port) => prop_assert!((2..=MAX_RTP_PORT).contains(&port) && port % 2 == 0),
            Err(reason) => prop_assert!(!reason.is_empty()),
        }
    }

    #[test]
    fn any_number_is_judged_like_the_arithmetic_says(n in any::<i64>()) {
        let ok = (2..=i64::from(MAX_RTP_PORT)).contains(&n) && n % 2 == 0;
        prop_assert_eq!(parse_rtp_port(&format!(" {n}\n")).is_ok(), ok);
    }

    #[test]
    fn any_address_text_parses_or_says_why(text in "\\PC{0,48}") {
        if let Ok(ip) = parse_ip(&text) {
            prop_assert_eq!(parse_ip(&ip.to_string()), Ok(ip));
        }
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let _ = parse_local_ip(&text, loopback);
        let _ = parse_remote_ip(&text, local);
    }

    #[test]
    fn any_six_answers_give_endpoints_that_keep_the_rules(
        answers in proptest::collection::vec(
            prop_oneof!["[0-9]{1,6}", "127\\.0\\.0\\.[0-9]{1,3}", "::1", "\\PC{0,12}"],
            6,
        )
    ) {
        let mut a = Answers::default();
        let all_ok = Question::ALL
            .into_iter()
            .zip(&answers)
            .all(|(q, text)| a.accept(q, text, &loopback).is_ok());
        if all_ok {
            let e = a.endpoints().expect("six accepted answers make endpoints");
            prop_assert!(e.video.recv_rtp.abs_diff(e.audio.recv_rtp) >= 2);
            prop_assert!(e.video.dest_rtp.abs_diff(e.audio.dest_rtp) >= 2);
            prop_assert_eq!(e.local_ip.is_ipv4(), e.remote_ip.is_ipv4());
        }
    }

    #[test]
    fn any_passphrase_line_is_taken_whole_or_means_plain(line in "\\PC{0,64}", ending in prop_oneof!["", "\n", "\r\n"]) {
        let typed = format!("{line}{ending}");
        let sources = Sources { may_ask: true, ..Default::default() };
        let got = resolve(sources, &mut typed.as_bytes(), &mut Vec::new(), None).unwrap();
        let first = line.split('\n').next().unwrap_or("");
        let first = first.strip_suffix('\r').unwrap_or(first);
        prop_assert_eq!(got.as_ref().map(|p| p.expose()), (!first.is_empty()).then_some(first));
    }

    #[test]
    fn any_pad_name_parses_or_is_ignored(name in "\\PC{0,40}", s in any::<u32>(), ssrc in any::<u32>(), pt in any::<u8>()) {
        let _ = parse_recv_pad_name(&name);
        prop_assert_eq!(parse_recv_pad_name(&format!("recv_rtp_src_{s}_{ssrc}_{pt}")), Some((s, ssrc, pt)));
    }

    #[test]
    fn the_payload_guard_takes_any_bytes(payload in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = aac_payload_is_plausible(&payload);
        let ok = h264_payload_is_supported(&payload);
        prop_assert_eq!(ok, payload.first().is_some_and(|b| matches!(b & 0x1f, 1..=24 | 28)));
    }

    #[test]
    fn well_formed_aac_units_pass_the_guard(sizes in proptest::collection::vec(1usize..300, 1..4), fill in any::<u8>()) {
        let mut p = ((sizes.len() * 16) as u16).to_be_bytes().to_vec();
        for s in &sizes {
            p.extend_from_slice(&((*s as u16) << 3).to_be_bytes());
        }
        p.push(0x21);
        p.extend(std::iter::repeat_n(fill, sizes.iter().sum::<usize>() - 1));
        prop_assert!(aac_payload_is_plausible(&p));
        p.push(0);
        prop_assert!(!aac_payload_is_plausible(&p));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_passphrase_keys_an_exchange_of_the_suites_length(pass in "\\PC{1,40}") {
        use crate::security::exchange::{EpochSecret, Role};
        let password = CallPassword::from_passphrase(&pass).unwrap();
        prop_assert_eq!(password, CallPassword::from_passphrase(&pass).unwrap());
        for suite in [SrtpSuite::AesGcm128, SrtpSuite::AesCm128HmacSha1_80] {
            let keys = EpochSecret::new(&[3; 32], suite, 0, Role::Initiator, None).session_keys("audio");
            prop_assert_eq!(keys.send.bytes().len(), suite.key_salt_len());
        }
    }

    #[test]
    fn any_crypto_line_parses_or_says_why_in_one_line(text in "\\PC{0,90}") {
        use crate::sdp::SdesCrypto;
        match SdesCrypto::parse(&text) {
            Ok(c) => prop_assert_eq!(c.key.bytes().len(), c.suite.key_salt_len()),
            Err(e) => prop_assert!(!e.contains('\n') && !e.is_empty()),
        }
    }

    #[test]
    fn any_sdes_key_round_trips(bytes in proptest::collection::vec(any::<u8>(), 30), tag in 0u32..1_000_000_000, gcm in any::<bool>()) {
        use crate::sdp::SdesCrypto;
        let suite = if gcm { SrtpSuite::AesGcm128 } else { SrtpSuite::AesCm128HmacSha1_80 };
        let key = crate::security::SrtpKey::new(bytes[..suite.key_salt_len()].to_vec());
        let crypto = SdesCrypto { tag, suite, key };
        prop_assert_eq!(SdesCrypto::parse(&crypto.attribute()), Ok(crypto));
    }

    #[test]
    fn any_datagram_is_refused_or_decodes_to_itself(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        use crate::security::exchange::Message;
        let mut d = bytes;
        if let Some(first) = d.first_mut() { *first = crate::security::exchange::wire::FIRST_BYTE; }
        if let Some(m) = Message::decode(&d) {
            prop_assert_eq!(m.encode(), d);
        }
    }
}
