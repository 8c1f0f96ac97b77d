//! Keeps repeated pipeline warnings from flooding the terminal: garbage sent at our ports can
//! make a depayloader or decoder warn thousands of times a minute. Each distinct text is shown at
//! once, then at most once per interval with the count of repeats it stood for. Time is an
//! argument.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Distinct texts remembered at most; more than this and the memory starts over.
const MAX_TEXTS: usize = 64;

/// Decides which warnings to show.
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    /// Per text: when it was last shown, and how many repeats were hidden since.
    seen: HashMap<String, (Instant, u64)>,
}

impl Throttle {
    pub fn new(interval: Duration) -> Throttle {
        Throttle {
            interval,
            seen: HashMap::new(),
        }
    }

    /// `Some(hidden)` when `text` should be shown now (`hidden` repeats since it last was),
    /// `None` when it should be hidden.
    pub fn allow(&mut self, text: &str, now: Instant) -> Option<u64> {
        if self.seen.len() >= MAX_TEXTS && !self.seen.contains_key(text) {
            self.seen.clear();
        }
        match self.seen.get_mut(text) {
            None => {
                self.seen.insert(text.to_string(), (now, 0));
                Some(0)
            }
            Some((last, hidden)) if now.duration_since(*last) >= self.interval => {
                let shown = *hidden;
                *last = now;
                *hidden = 0;
                Some(shown)
            }
            Some((_, hidden)) => {
                *hidden += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_shown_once_per_interval_with_their_count() {
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        let mut t = Throttle::new(Duration::from_secs(10));
        assert_eq!(t.allow("bad packet", s(0)), Some(0));
        assert_eq!(t.allow("bad packet", s(1)), None);
        assert_eq!(t.allow("bad packet", s(2)), None);
        assert_eq!(t.allow("other", s(2)), Some(0));
        assert_eq!(t.allow("bad packet", s(10)), Some(2));
        assert_eq!(t.allow("bad packet", s(11)), None);
    }

    #[test]
    fn memory_is_bounded() {
        let now = Instant::now();
        let mut t = Throttle::new(Duration::from_secs(10));
        for i in 0..1000 {
            assert_eq!(t.allow(&format!("w{i}"), now), Some(0));
        }
        assert!(t.seen.len() <= MAX_TEXTS);
    }
}
