//! What a user can ask of a running call. The window's and the dashboard's keys map to the
//! same controls; the main loop (`call::run_with`) is the one place that applies them.

/// A request to the running call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallControl {
    /// End the call as Ctrl-C does (exit 0).
    EndCall,
    /// Send silence instead of the microphone, or the microphone again.
    ToggleMicrophone,
    /// Send a "video paused" picture instead of the camera, or the camera again.
    ToggleCamera,
}

/// The key a user presses for each control: `q`, `m`, `v` (either case).
pub fn control_for_key(key: char) -> Option<CallControl> {
    match key.to_ascii_lowercase() {
        'q' => Some(CallControl::EndCall),
        'm' => Some(CallControl::ToggleMicrophone),
        'v' => Some(CallControl::ToggleCamera),
        _ => None,
    }
}

/// A control and the peer it is for (its index in the call; none: every peer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlRequest {
    pub control: CallControl,
    pub peer: Option<usize>,
}

/// A handle any thread can use to steer the call; the main loop receives and applies. A
/// peer's window holds one for that peer only, so that in the demo `m` in A's window mutes A.
#[derive(Debug, Clone)]
pub struct Controls {
    sender: async_channel::Sender<ControlRequest>,
    peer: Option<usize>,
}

impl Controls {
    /// A handle and the receiving end the main loop listens on.
    pub fn channel() -> (Controls, async_channel::Receiver<ControlRequest>) {
        let (sender, receiver) = async_channel::unbounded();
        (Controls { sender, peer: None }, receiver)
    }

    /// A handle whose controls go to peer `index` only.
    pub fn for_peer(&self, index: usize) -> Controls {
        Controls {
            sender: self.sender.clone(),
            peer: Some(index),
        }
    }

    /// Asks for `control`; ignored once the call is over.
    pub fn send(&self, control: CallControl) {
        let _ = self.sender.try_send(ControlRequest {
            control,
            peer: self.peer,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_keys_map_to_their_controls_and_others_to_none() {
        assert_eq!(control_for_key('q'), Some(CallControl::EndCall));
        assert_eq!(control_for_key('Q'), Some(CallControl::EndCall));
        assert_eq!(control_for_key('m'), Some(CallControl::ToggleMicrophone));
        assert_eq!(control_for_key('v'), Some(CallControl::ToggleCamera));
        assert_eq!(control_for_key('x'), None);
        assert_eq!(control_for_key(' '), None);
    }

    #[test]
    fn a_peer_handle_targets_its_peer_and_the_call_handle_every_peer() {
        let (controls, requests) = Controls::channel();
        controls.send(CallControl::ToggleMicrophone);
        controls.for_peer(1).send(CallControl::ToggleCamera);
        assert_eq!(
            requests.try_recv().unwrap(),
            ControlRequest {
                control: CallControl::ToggleMicrophone,
                peer: None
            }
        );
        assert_eq!(requests.try_recv().unwrap().peer, Some(1));
    }
}
