//! Echo cancellation and noise suppression (GStreamer's `webrtcdsp`, fed by `webrtcechoprobe`
//! with what the speaker plays), decided from the media the call uses: a real microphone that
//! hears a real speaker. Test tones and headless sinks have no acoustic echo to remove, and the
//! canceller would only cost latency and CPU (docs/decisions/0024-window-and-controls.md).

use super::ElementSpec;
use super::media::AudioSettings;
use super::names;
use crate::config::{AudioSink, AudioSource};

/// True when the call cancels echo: the user did not turn it off (`--no-echo-cancel`), and a
/// microphone captures while a speaker plays.
pub fn echo_cancellation(wanted: bool, source: &AudioSource, sink: AudioSink) -> bool {
    let microphone = matches!(source, AudioSource::Microphone | AudioSource::Device(_));
    wanted && microphone && sink == AudioSink::Speaker
}

/// The format both WebRTC elements take: 16-bit interleaved at our rate (they refuse F32LE
/// interleaved, which we capture in).
fn dsp_caps(audio: &AudioSettings) -> String {
    format!(
        "audio/x-raw,format=S16LE,layout=interleaved,rate={},channels={}",
        audio.rate, audio.channels
    )
}

/// The microphone's chain with the canceller after the capture's converters (before our
/// F32LE caps), so it sees what the microphone heard and the encoder gets the cleaned sound.
pub fn cancel_on_send(audio: &AudioSettings, mut chain: Vec<ElementSpec>) -> Vec<ElementSpec> {
    let at = chain
        .iter()
        .position(|e| e.name == names::AUDIO_CAPS)
        .unwrap_or(chain.len());
    chain.splice(
        at..at,
        [
            ElementSpec::new("capsfilter", "audio-dsp-caps").prop("caps", dsp_caps(audio)),
            ElementSpec::new("webrtcdsp", names::AUDIO_DSP)
                .prop("probe", names::AUDIO_ECHO_PROBE)
                .prop("echo-cancel", true)
                .prop("noise-suppression", true),
            ElementSpec::new("audioconvert", "audio-dsp-convert"),
        ],
    );
    chain
}

/// The speaker's chain with the probe just before the sink: the canceller's reference is
/// what is played.
pub fn probe_before_sink(audio: &AudioSettings, mut chain: Vec<ElementSpec>) -> Vec<ElementSpec> {
    let at = chain.len().saturating_sub(1);
    chain.splice(
        at..at,
        [
            ElementSpec::new("capsfilter", "audio-echo-caps").prop("caps", dsp_caps(audio)),
            ElementSpec::new("webrtcechoprobe", names::AUDIO_ECHO_PROBE),
        ],
    );
    chain
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::media::{audio_recv_chain, audio_send_chain};

    #[test]
    fn only_a_real_microphone_with_a_real_speaker_cancels_echo() {
        use AudioSink::*;
        use AudioSource::*;
        assert!(echo_cancellation(true, &Microphone, Speaker));
        assert!(
            !echo_cancellation(false, &Microphone, Speaker),
            "--no-echo-cancel"
        );
        assert!(!echo_cancellation(true, &TestTone, Speaker));
        assert!(!echo_cancellation(true, &Microphone, Headless));
        assert!(!echo_cancellation(true, &TestTone, Headless));
    }

    #[test]
    fn the_canceller_follows_the_microphone_and_the_probe_precedes_the_speaker() {
        let audio = AudioSettings::default();
        let send = cancel_on_send(&audio, audio_send_chain(&audio, AudioSource::Microphone));
        let names: Vec<&str> = send.iter().map(|e| e.name.as_str()).collect();
        let dsp = names.iter().position(|n| *n == names::AUDIO_DSP).unwrap();
        let caps = names.iter().position(|n| *n == names::AUDIO_CAPS).unwrap();
        let mute = names.iter().position(|n| *n == names::AUDIO_MUTE).unwrap();
        assert!(dsp > 0 && dsp < caps && caps < mute, "{names:?}");
        assert_eq!(send[dsp].get("probe"), Some(names::AUDIO_ECHO_PROBE));
        let recv = probe_before_sink(&audio, audio_recv_chain(AudioSink::Speaker));
        let n = recv.len();
        assert_eq!(recv[n - 2].factory, "webrtcechoprobe");
        assert_eq!(recv[n - 2].name, names::AUDIO_ECHO_PROBE);
        assert_eq!(recv[n - 1].name, names::AUDIO_SINK);
    }
}
