//! Builds the relay from its plan: per flow `udpsrc → netsim → udpsink`, all in one pipeline,
//! and schedules the outages as GLib timeouts on the caller's main context (no threads, no
//! sleeps), so the relay can run inside any process that owns a main loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;

use super::plan::{Direction, Impairment, RelayPlan};
use crate::error::{AppError, AppResult};
use crate::media::build::make_element;
use crate::media::plan::ElementSpec;

/// A built relay. `start` runs it; `stop` (or drop) ends it and cancels pending outage edges.
pub struct Relay {
    plan: RelayPlan,
    pipeline: gst::Pipeline,
    timers: Rc<RefCell<Vec<glib::SourceId>>>,
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
                    // Forward at once: netsim already decided when each packet leaves.
                    ("sync", "false".into()),
                    ("async", "false".into()),
                ],
            })?;
            pipeline
                .add_many([&src, &netsim, &sink])
                .map_err(|e| AppError::Media(format!("cannot add relay elements: {e}")))?;
            gst::Element::link_many([&src, &netsim, &sink]).map_err(|e| {
                AppError::Media(format!("cannot link relay flow {}: {e}", flow.kind))
            })?;
        }
        Ok(Relay {
            plan: plan.clone(),
            pipeline,
            timers: Rc::default(),
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
                "the relay could not bind its ports {}-{} on {}",
                self.plan.base,
                self.plan.base + 7,
                self.plan.listen_ip
            )));
        }
        let started = Instant::now();
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
                let wait = edge.saturating_sub(started.elapsed());
                timers.push(glib::timeout_add_local_once(wait, move || {
                    let drop = imp.drop_probability_at(edge);
                    let (kbps, bucket) = Impairment::cap_props(imp.cap_at(edge));
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
