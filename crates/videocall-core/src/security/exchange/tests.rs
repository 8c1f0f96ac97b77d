use super::*;

fn peer(pass: &str, instance: u64, t: Instant) -> Exchange {
    Exchange::new(
        CallPassword::from_passphrase(pass).unwrap(),
        SrtpSuite::AesGcm128,
        instance,
        t,
    )
}

/// Runs two peers for `ms` milliseconds in 10 ms steps; `keep(i)` decides whether the i-th
/// datagram on the wire arrives. Returns each side's events.
fn run(
    a: &mut Exchange,
    b: &mut Exchange,
    t0: Instant,
    ms: u64,
    keep: impl FnMut(usize) -> bool,
) -> (Vec<Event>, Vec<Event>) {
    run_from(a, b, t0, ms, keep, vec![], vec![])
}

/// [`run`] with messages already on their way to a and to b.
fn run_from(
    a: &mut Exchange,
    b: &mut Exchange,
    t0: Instant,
    ms: u64,
    mut keep: impl FnMut(usize) -> bool,
    to_a: Vec<Message>,
    to_b: Vec<Message>,
) -> (Vec<Event>, Vec<Event>) {
    let (mut ea, mut eb) = (vec![], vec![]);
    let mut wire = 0usize;
    let mut to_a: Vec<Vec<u8>> = to_a.iter().map(Message::encode).collect();
    let mut to_b: Vec<Vec<u8>> = to_b.iter().map(Message::encode).collect();
    for step in 0..=ms / 10 {
        let now = t0 + Duration::from_millis(step * 10);
        to_b.extend(a.poll(now).iter().map(Message::encode));
        to_a.extend(b.poll(now).iter().map(Message::encode));
        // Deliver until quiet (replies go out at once, as the probe does).
        while !to_a.is_empty() || !to_b.is_empty() {
            for d in std::mem::take(&mut to_a) {
                wire += 1;
                if keep(wire) {
                    let out = a.receive(now, &d);
                    to_b.extend(out.send.iter().map(Message::encode));
                    ea.extend(out.event);
                }
            }
            for d in std::mem::take(&mut to_b) {
                wire += 1;
                if keep(wire) {
                    let out = b.receive(now, &d);
                    to_a.extend(out.send.iter().map(Message::encode));
                    eb.extend(out.event);
                }
            }
        }
    }
    (ea, eb)
}

fn secret(e: &Event) -> &EpochSecret {
    match e {
        Event::Established { secret, .. } => secret,
        other => panic!("not established: {other:?}"),
    }
}

#[test]
fn two_peers_agree_on_fresh_keys_and_words_whoever_starts() {
    let t = Instant::now();
    for (ia, ib) in [(5, 9), (9, 5)] {
        let (mut a, mut b) = (peer("pw", ia, t), peer("pw", ib, t));
        let (ea, eb) = run(&mut a, &mut b, t, 50, |_| true);
        assert_eq!((ea.len(), eb.len()), (1, 1), "{ea:?} {eb:?}");
        let (sa, sb) = (secret(&ea[0]), secret(&eb[0]));
        assert_eq!(sa.sas(), sb.sas());
        assert_eq!(sa.session_keys("video").send, sb.session_keys("video").recv);
        assert_eq!(a.status().state, "established");
        assert_eq!(a.status().sas, b.status().sas);
        assert!(a.status().keyed_ms.is_some_and(|ms| ms <= 10));
        // A second call with the same passphrase has other keys.
        let (mut c, mut d) = (peer("pw", ia, t), peer("pw", ib, t));
        let (ec, _) = run(&mut c, &mut d, t, 50, |_| true);
        assert_ne!(
            secret(&ec[0]).session_keys("video").send,
            sa.session_keys("video").send
        );
    }
}

#[test]
fn a_late_peer_is_keyed_at_once() {
    let t = Instant::now();
    let mut a = peer("pw", 3, t);
    let mut lonely = peer("pw", 4, t);
    // A sends Hellos into the void for a while.
    for i in 0..30 {
        let _ = a.poll(t + Duration::from_millis(i * 100));
    }
    let late = t + Duration::from_secs(3);
    let (ea, eb) = run(&mut a, &mut lonely, late, 10, |_| true);
    assert_eq!((ea.len(), eb.len()), (1, 1));
}

#[test]
fn a_wrong_passphrase_fails_on_both_sides_and_is_not_retried() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 1, t), peer("other", 2, t));
    let (ea, eb) = run(&mut a, &mut b, t, 2000, |_| true);
    for events in [&ea, &eb] {
        assert_eq!(events.len(), 1, "{events:?}");
        assert!(matches!(
            events[0],
            Event::Failed {
                why: Failure::WrongPassphrase,
                ..
            }
        ));
    }
    assert_eq!(a.status().state, "failed");
    assert_eq!(b.status().failed, 1);
}

#[test]
fn five_percent_loss_still_completes_within_a_second() {
    let t = Instant::now();
    for seed in 0..200u64 {
        let (mut a, mut b) = (peer("pw", 10 + seed, t), peer("pw", 1000 + seed, t));
        let mut x = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
        let (ea, eb) = run(&mut a, &mut b, t, 1000, |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 100 >= 5
        });
        assert_eq!((ea.len(), eb.len()), (1, 1), "seed {seed}");
    }
}

#[test]
fn a_restarted_peer_gets_new_keys_and_the_old_stay_until_then() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 50, t), peer("pw", 60, t));
    let (ea, _) = run(&mut a, &mut b, t, 50, |_| true);
    let first = secret(&ea[0]).clone();
    for restarted in [70, 40] {
        let mut b2 = peer("pw", restarted, t);
        let (ea, eb) = run(&mut a, &mut b2, t + Duration::from_secs(1), 50, |_| true);
        assert_eq!((ea.len(), eb.len()), (1, 1), "restart as {restarted}");
        match &ea[0] {
            Event::Established { new_peer, .. } => assert!(new_peer),
            other => panic!("{other:?}"),
        }
        assert_ne!(
            secret(&ea[0]).session_keys("video").recv,
            first.session_keys("video").recv
        );
    }
}

#[test]
fn either_side_can_rekey_to_the_next_epoch() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 1, t), peer("pw", 2, t));
    run(&mut a, &mut b, t, 50, |_| true);
    let words = a.status().sas;
    for (who, epoch) in [(0, 1), (1, 2)] {
        let now = t + Duration::from_secs(u64::from(epoch));
        let (ea, eb) = if who == 0 {
            let first = a.rekey(now);
            assert_eq!(first.len(), 1);
            run_from(&mut a, &mut b, now, 50, |_| true, vec![], first)
        } else {
            let first = b.rekey(now);
            assert_eq!(first.len(), 1);
            run_from(&mut a, &mut b, now, 50, |_| true, first, vec![])
        };
        assert_eq!((ea.len(), eb.len()), (1, 1), "rekey by {who}");
        for e in [&ea[0], &eb[0]] {
            match e {
                Event::Established {
                    epoch: got,
                    new_peer,
                    ..
                } => {
                    assert_eq!(*got, epoch);
                    assert!(!new_peer);
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(a.status().epoch, Some(epoch));
        assert_eq!(a.status().sas, b.status().sas, "a re-key keeps the words");
        assert_eq!(a.status().sas, words);
    }
}

#[test]
fn replayed_messages_of_an_old_call_are_ignored() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 1, t), peer("pw", 2, t));
    // Record everything a sends to b in call 1.
    let mut recorded = vec![];
    let mut to_b = a.poll(t);
    for _ in 0..6 {
        let mut to_a = vec![];
        for m in to_b.drain(..) {
            recorded.push(m.encode());
            to_a.extend(b.receive(t, &m.encode()).send);
        }
        for m in to_a {
            to_b.extend(a.receive(t, &m.encode()).send);
        }
    }
    assert_eq!(b.status().state, "established");
    // Call 2: a new b with the same passphrase gets the recording.
    let mut b2 = peer("pw", 3, t);
    for d in &recorded {
        let out = b2.receive(t, d);
        assert!(out.event.is_none());
    }
    assert_ne!(b2.status().state, "established");
    assert!(b2.status().ignored >= 2, "{:?}", b2.status());
}

#[test]
fn garbage_and_floods_never_wedge_an_established_exchange() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 100, t), peer("pw", 200, t));
    run(&mut a, &mut b, t, 50, |_| true);
    let sas = a.status().sas.clone();
    let mut x = 12345u64;
    for i in 0..20_000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let len = (x % 120) as usize;
        let mut d: Vec<u8> = (0..len).map(|j| (x >> (j % 8)) as u8).collect();
        if let Some(first) = d.first_mut() {
            *first = wire::FIRST_BYTE;
        }
        let _ = a.receive(t, &d);
        // Well-formed messages from made-up instances, every kind.
        let kind = Kind::ALL[(i % 5) as usize];
        let body_len = kind.body_len();
        let forged = Message {
            kind,
            from: x | 1,
            to: if i % 2 == 0 { 0 } else { 100 },
            epoch: (x >> 32) as u32,
            body: vec![(x >> 3) as u8; body_len],
        };
        let _ = a.receive(t + Duration::from_micros(i), &forged.encode());
    }
    assert_eq!(a.status().sas, sas);
    assert!(a.attempts.len() <= MAX_ATTEMPTS);
    assert!(a.status().malformed > 1000);
    // The real peer restarts in the middle of the flood and still gets through.
    let mut b2 = peer("pw", 300, t);
    let (ea, eb) = run(&mut a, &mut b2, t + Duration::from_secs(5), 200, |_| true);
    assert_eq!((ea.len(), eb.len()), (1, 1));
}

#[test]
fn a_middleman_who_knows_the_passphrase_cannot_step_in_at_a_re_key() {
    let t = Instant::now();
    let (mut a, mut b) = (peer("pw", 1, t), peer("pw", 2, t));
    run(&mut a, &mut b, t, 50, |_| true);
    // Mallory knows the passphrase and plays b's instance, but never held the keys in use.
    let mut mallory = peer("pw", 2, t);
    let now = t + Duration::from_secs(1);
    let first = a.rekey(now);
    let (ea, em) = run_from(&mut a, &mut mallory, now, 300, |_| true, vec![], first);
    assert!(
        ea.iter().all(|e| matches!(
            e,
            Event::Failed {
                why: Failure::WrongPassphrase,
                ..
            }
        )),
        "{ea:?} {em:?}"
    );
    assert!(!ea.is_empty());
    assert_eq!(a.status().epoch, Some(0), "the keys in use stay");
}

#[test]
fn a_middleman_who_knows_the_passphrase_shows_in_the_words() {
    let t = Instant::now();
    let mut differ = 0;
    for round in 0..20u64 {
        // A talks to M1, B to M2; M1 and M2 are one middleman with the passphrase.
        let (mut a, mut m1) = (peer("pw", 100 + round, t), peer("pw", 5000 + round, t));
        let (mut b, mut m2) = (peer("pw", 200 + round, t), peer("pw", 6000 + round, t));
        let (ea, _) = run(&mut a, &mut m1, t, 50, |_| true);
        let (eb, _) = run(&mut b, &mut m2, t, 50, |_| true);
        assert_eq!((ea.len(), eb.len()), (1, 1));
        if a.status().sas != b.status().sas {
            differ += 1;
        }
    }
    assert_eq!(differ, 20, "22-bit words collide once in four million");
}

#[test]
fn an_exchange_left_midway_is_counted_as_abandoned() {
    let t = Instant::now();
    let mut a = peer("pw", 1, t);
    let hello = Message {
        kind: Kind::Hello,
        from: 99,
        to: 0,
        epoch: 0,
        body: vec![],
    };
    let out = a.receive(t, &hello.encode());
    assert_eq!(out.send.len(), 1, "a commit to the stranger");
    let _ = a.poll(t + Duration::from_secs(11));
    assert_eq!(a.status().abandoned, 1);
}
