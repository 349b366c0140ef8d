//! A sound card without hardware: the device ends of an [`AudioPath`]'s rings, driven by
//! hand. Tests (and a headless media task) play the role of cpal's callbacks, with the very
//! same callback code, at whatever pace they choose.

use super::AudioError;
use super::path::{AudioOptions, AudioPath, Counters, Microphone, PathInfo, Speaker, Streams, ring};
use super::stream::{capture, play};
use crate::media::pcm::PcmSample;
use rtrb::{Consumer, Producer};
use std::sync::Arc;

/// The device side of a simulated [`AudioPath`].
pub struct SimulatedCard {
    mic: Producer<f32>,
    speaker: Consumer<f32>,
    counters: Arc<Counters>,
}

impl SimulatedCard {
    /// An [`AudioPath`] whose "microphone" captures at `input_rate` and whose "loudspeaker"
    /// plays at `output_rate`, and the card that drives it.
    pub fn open(
        input_rate: u32,
        output_rate: u32,
        options: &AudioOptions,
    ) -> Result<(AudioPath, SimulatedCard), AudioError> {
        let counters = Arc::new(Counters::default());
        let (mic_tx, mic_rx) = ring(input_rate, options.ring_ms);
        let (speaker_tx, speaker_rx) = ring(output_rate, options.ring_ms);
        let path = AudioPath {
            info: PathInfo {
                input: "simulated".into(),
                output: "simulated".into(),
                input_rate,
                input_channels: 1,
                input_format: "f32".into(),
                output_rate,
                output_channels: 1,
                output_format: "f32".into(),
            },
            microphone: Microphone::new(mic_rx, input_rate, options)?,
            speaker: Speaker::new(speaker_tx, output_rate, options, counters.clone())?,
            streams: Streams { _input: None, _output: None, counters: counters.clone() },
        };
        Ok((path, SimulatedCard { mic: mic_tx, speaker: speaker_rx, counters }))
    }

    /// What the input callback does with `interleaved` frames of `channels` channels.
    pub fn capture<T: PcmSample>(&mut self, interleaved: &[T], channels: usize) {
        capture(interleaved, channels, &mut self.mic, &self.counters);
    }

    /// What the output callback does to fill `interleaved` frames of `channels` channels.
    pub fn play<T: PcmSample>(&mut self, interleaved: &mut [T], channels: usize) {
        play(interleaved, channels, &mut self.speaker, &self.counters);
    }
}
