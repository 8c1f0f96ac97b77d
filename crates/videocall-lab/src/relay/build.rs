//! Builds the relay from its plan: per flow `udpsrc → netsim → udpsink` (RTP flows with a
//! queueing cap: `→ queue → shaper →`), all in one pipeline, and schedules the outages as GLib
//! timeouts on the caller's main context, so the relay can run inside any process that owns a
//! main loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;

use super::plan::{Direction, Impairment, RelayPlan};
use videocall_core::build::element::make_element;
use videocall_core::error::{AppError, AppResult};
use videocall_core::plan::ElementSpec;

/// The rate of a queueing cap, shared by its flows' shapers and the schedule that switches it.
type ShaperRate = Arc<Mutex<Option<u32>>>;

/// A link that sends no faster than a cap: `netsim` can only police (drop what exceeds its
/// bucket), while most real bottlenecks queue. Each packet leaves when the previous one has
/// been "sent" at the cap's rate; the `queue` in front holds the waiting packets and drops
/// what arrives when it is full (tail drop). The wait is a clock wait in the queue's own
/// streaming thread, as a sink's sync would be.
fn add_shaper(queue: &gst::Element, rate: ShaperRate) {
    let Some(pad) = queue.static_pad("src") else {
        return;
    };
    let clock = gst::SystemClock::obtain();
    // When the link is free again; only this pad's streaming thread touches it.
    let next_free: Mutex<Option<gst::ClockTime>> = Mutex::new(None);
    pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Ok(mut next_free) = next_free.lock() else {
            return gst::PadProbeReturn::Ok;
        };
        let (Some(kbps), Some(buffer)) = (rate.lock().map_or(None, |r| *r), info.buffer()) else {
            *next_free = None;
            return gst::PadProbeReturn::Ok;
        };
        let now = clock.time();
        let start = next_free.map_or(now, |t| t.max(now));
        let bits = buffer.size() as u64 * 8;
        let done = start + gst::ClockTime::from_nseconds(bits * 1_000_000 / u64::from(kbps));
        *next_free = Some(done);
        drop(next_free);
        let _ = clock.new_single_shot_id(done).wait();
        gst::PadProbeReturn::Ok
    });
}

/// What the relay's start line says before the wall-clock µs at which its schedule begins.
pub const STARTED_AT: &str = "started at unix µs ";

/// The relay's start time (wall-clock µs since the Unix epoch) from its log, once the whole
/// start line is there (a log read while it is being written may end in the middle of it).
pub fn started_at(log: &str) -> Option<u64> {
    let (_, rest) = log.split_once(STARTED_AT)?;
    let (line, _) = rest.split_once('\n')?;
    let digits: String = line.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A built relay. `start` runs it; `stop` (or drop) ends it and cancels pending outage edges.
pub struct Relay {
    plan: RelayPlan,
    pipeline: gst::Pipeline,
    timers: Rc<RefCell<Vec<glib::SourceId>>>,
    /// Per direction, the rate of its queueing cap (a → b, b → a).
    shaper_rates: [ShaperRate; 2],
}

/// Packets forwarded so far per direction (after impairment), read from the udpsinks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelayCounts {
    pub a_to_b: u64,
    pub b_to_a: u64,
}

impl Relay {
    /// Builds the pipeline; binds nothing yet.
    pub fn build(plan: &RelayPlan) -> AppResult<Relay> {
        plan.check().map_err(AppError::Input)?;
        let pipeline = gst::Pipeline::with_name("relay");
        let shaper_rates: [ShaperRate; 2] = Default::default();
        for flow in plan.flows() {
            let imp = plan.impairment(flow.direction);
            let src = make_element(&ElementSpec {
                factory: "udpsrc",
                name: flow.element_name("src"),
                props: vec![
                    ("address", plan.listen_ip.to_string()),
                    ("port", flow.listen_port.to_string()),
                    ("reuse", "false".into()),
                    // Room for a key frame's burst while netsim delays the stream.
                    ("buffer-size", (1 << 20).to_string()),
                ],
            })?;
            let netsim =
                make_element(&imp.netsim(flow.element_name("netsim"), flow.rtp, Duration::ZERO))?;
            let sink = make_element(&ElementSpec {
                factory: "udpsink",
                name: flow.element_name("sink"),
                props: vec![
                    ("host", flow.dest_ip.to_string()),
                    ("port", flow.dest_port.to_string()),
                    // Send from the address the peers send to: they take datagrams from their
                    // "destination IP" only.
                    ("bind-address", plan.listen_ip.to_string()),
                    // Forward at once: netsim already decided when each packet leaves.
                    ("sync", "false".into()),
                    ("async", "false".into()),
                ],
            })?;
            let mut chain = vec![src, netsim];
            if let (true, Some(bytes)) = (flow.rtp, imp.cap_queue_bytes()) {
                let queue = make_element(&ElementSpec {
                    factory: "queue",
                    name: flow.element_name("queue"),
                    props: vec![
                        ("max-size-bytes", bytes.to_string()),
                        ("max-size-buffers", "0".into()),
                        ("max-size-time", "0".into()),
                        // Tail drop: what arrives at a full queue is lost.
                        ("leaky", "upstream".into()),
                    ],
                })?;
                let rate = shaper_rates[flow.direction.index()].clone();
                if let Ok(mut r) = rate.lock() {
                    *r = imp.cap_at(Duration::ZERO);
                }
                add_shaper(&queue, rate);
                chain.push(queue);
            }
            chain.push(sink);
            pipeline
                .add_many(&chain)
                .map_err(|e| AppError::Media(format!("cannot add relay elements: {e}")))?;
            gst::Element::link_many(&chain).map_err(|e| {
                AppError::Media(format!("cannot link relay flow {}: {e}", flow.kind))
            })?;
        }
        Ok(Relay {
            plan: plan.clone(),
            pipeline,
            timers: Rc::default(),
            shaper_rates,
        })
    }

    pub fn pipeline(&self) -> &gst::Pipeline {
        &self.pipeline
    }

    /// Binds the relay's ports, starts forwarding and schedules the outages from now. Must be
    /// called on the thread whose default main context runs the main loop.
    pub fn start(&self) -> AppResult<()> {
        if self.pipeline.set_state(gst::State::Playing).is_err() {
            let _ = self.pipeline.set_state(gst::State::Null);
            return Err(AppError::Network(format!(
                "the relay could not bind its {} on {}",
                self.plan.ports_text(),
                self.plan.listen_ip
            )));
        }
        let started = Instant::now();
        // The schedule counts from `started`; its wall-clock time lets a caller (the bench)
        // place the cap and outage edges on the peers' clock.
        eprintln!(
            "videocall relay: forwarding, {STARTED_AT}{} (scheduled times count from here)",
            crate::meters::probe::wall_us()
        );
        let mut timers = self.timers.borrow_mut();
        for dir in Direction::BOTH {
            let imp = self.plan.impairment(dir).clone();
            let netsims: Vec<(gst::Element, bool)> = self
                .plan
                .flows()
                .iter()
                .filter(|f| f.direction == dir)
                .filter_map(|f| {
                    let netsim = self.pipeline.by_name(&f.element_name("netsim"))?;
                    Some((netsim, f.rtp))
                })
                .collect();
            for edge in imp.schedule_edges() {
                let (imp, netsims) = (imp.clone(), netsims.clone());
                let shaper_rate = self.shaper_rates[dir.index()].clone();
                let wait = edge.saturating_sub(started.elapsed());
                timers.push(glib::timeout_add_local_once(wait, move || {
                    let drop = imp.drop_probability_at(edge);
                    let (kbps, bucket) = Impairment::cap_props(imp.policer_at(edge));
                    if let (true, Ok(mut rate)) = (imp.cap_queue_ms.is_some(), shaper_rate.lock()) {
                        *rate = imp.cap_at(edge);
                    }
                    for (netsim, rtp) in &netsims {
                        netsim.set_property("drop-probability", drop as f32);
                        if *rtp {
                            netsim.set_property("max-bucket-size", bucket);
                            netsim.set_property("max-kbps", kbps);
                        }
                    }
                    let cap = imp
                        .cap_at(edge)
                        .map_or("none".into(), |c| format!("{c} kbit/s"));
                    eprintln!(
                        "videocall relay: {} at {:.1} s: {}, cap {cap}",
                        dir.name(),
                        started.elapsed().as_secs_f64(),
                        if imp.in_outage(edge) {
                            "outage"
                        } else {
                            "network up"
                        },
                    );
                }));
            }
        }
        Ok(())
    }

    /// Packets the relay has forwarded in each direction.
    pub fn counts(&self) -> RelayCounts {
        let mut counts = RelayCounts::default();
        for flow in self.plan.flows() {
            let rendered = self
                .pipeline
                .by_name(&flow.element_name("sink"))
                .and_then(|s| {
                    s.property::<gst::Structure>("stats")
                        .get::<u64>("rendered")
                        .ok()
                })
                .unwrap_or(0);
            match flow.direction {
                Direction::AToB => counts.a_to_b += rendered,
                Direction::BToA => counts.b_to_a += rendered,
            }
        }
        counts
    }

    /// Stops forwarding, closes the ports and cancels outage edges still to come.
    pub fn stop(&self) {
        for source in self.timers.borrow_mut().drain(..) {
            if glib::MainContext::default()
                .find_source_by_id(&source)
                .is_some()
            {
                source.remove();
            }
        }
        let _ = self.pipeline.set_state(gst::State::Null);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop();
    }
}

impl videocall_core::call::Companion for Relay {
    fn pipeline(&self) -> &gst::Pipeline {
        Relay::pipeline(self)
    }

    fn start(&self) -> AppResult<()> {
        Relay::start(self)
    }

    fn report(&self, now: f64) -> Option<String> {
        let c = self.counts();
        Some(format!(
            "videocall relay: {now:.1} s forwarded {} packets a-to-b, {} b-to-a",
            c.a_to_b, c.b_to_a
        ))
    }

    fn stop(&self) {
        Relay::stop(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_time_is_read_back_from_the_log() {
        let log = format!(
            "videocall relay: on x\nvideocall relay: forwarding, {STARTED_AT}1712000000123456 (x)\n"
        );
        assert_eq!(started_at(&log), Some(1_712_000_000_123_456));
        assert_eq!(started_at("videocall relay: on x\n"), None);
        assert_eq!(started_at(STARTED_AT), None, "cut off before its digits");
        let partial = format!("{STARTED_AT}17120");
        assert_eq!(started_at(&partial), None, "cut off in its digits");
    }
}
