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

/// A handle any thread can use to steer the call; the main loop receives and applies.
#[derive(Debug, Clone)]
pub struct Controls(async_channel::Sender<CallControl>);

impl Controls {
    /// A handle and the receiving end the main loop listens on.
    pub fn channel() -> (Controls, async_channel::Receiver<CallControl>) {
        let (tx, rx) = async_channel::unbounded();
        (Controls(tx), rx)
    }

    /// Asks for `control`; ignored once the call is over.
    pub fn send(&self, control: CallControl) {
        let _ = self.0.try_send(control);
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
}
