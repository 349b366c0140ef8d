//! Opening the device streams, and the device callbacks.
//!
//! The callbacks are the real-time part: [`capture`] and [`play`] convert samples and move
//! them through a ring, and add to atomic counters. Nothing else: no lock, no allocation,
//! no system call.

use super::device::{choose_config, device_id, find};
use super::path::{
    AudioOptions, AudioPath, Counters, Loudspeaker, Microphone, PathInfo, Speaker, Streams, ring,
};
use super::quiet::Quiet;
use super::{AudioError, Direction};
use crate::media::pcm::{PcmSample, downmix, upmix};
use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{Data, SampleFormat, StreamConfig};
use rtrb::{Consumer, Producer};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Opens the default input and output (`spec` `None`), or the device `spec` names for both
/// (its id or name, as `sip7940 devices` lists them), with [`AudioOptions::default`].
pub fn open(spec: Option<&str>) -> Result<AudioPath, AudioError> {
    open_with(spec, spec, &AudioOptions::default())
}

/// Opens `input` and `output` (each `None` for the default device) at each device's own rate
/// and format, starts both streams, and returns the 8 kHz media side.
pub fn open_with(
    input: Option<&str>,
    output: Option<&str>,
    options: &AudioOptions,
) -> Result<AudioPath, AudioError> {
    let counters = Arc::new(Counters::default());
    let out = Endpoint::new(output, Direction::Output)?;
    let inp = Endpoint::new(input, Direction::Input)?;
    let (speaker_tx, speaker_rx) = ring(out.config.sample_rate, options.ring_ms);
    let (mic_tx, mic_rx) = ring(inp.config.sample_rate, options.ring_ms);
    let mut speaker = Speaker::new(speaker_tx, out.config.sample_rate, options, counters.clone())?;
    let microphone = Microphone::new(mic_rx, inp.config.sample_rate, options)?;
    let output_stream = build_output(&out, speaker_rx, &counters)?;
    // The device takes a whole buffer at a time: keep at least two queued.
    if let Ok(frames) = output_stream.buffer_size() {
        speaker.keep_at_least(2 * frames as usize);
    }
    let input_stream = build_input(&inp, mic_tx, &counters)?;
    for (stream, end) in [(&output_stream, &out), (&input_stream, &inp)] {
        let quiet = Quiet::new();
        stream.play().map_err(|e| end.error(&e, &quiet))?;
    }
    let info = PathInfo {
        input_rate: inp.config.sample_rate,
        input_channels: inp.config.channels,
        input_format: inp.format.to_string(),
        input: inp.id,
        output_rate: out.config.sample_rate,
        output_channels: out.config.channels,
        output_format: out.format.to_string(),
        output: out.id,
    };
    let streams = Streams { _input: Some(input_stream), _output: Some(output_stream), counters };
    Ok(AudioPath { info, microphone, speaker, streams })
}

/// Opens only the loudspeaker (the default output for `spec` `None`): what playing a
/// call-progress tone needs, with no microphone held open.
pub fn open_output(spec: Option<&str>, options: &AudioOptions) -> Result<Loudspeaker, AudioError> {
    let counters = Arc::new(Counters::default());
    let out = Endpoint::new(spec, Direction::Output)?;
    let (speaker_tx, speaker_rx) = ring(out.config.sample_rate, options.ring_ms);
    let mut speaker = Speaker::new(speaker_tx, out.config.sample_rate, options, counters.clone())?;
    let stream = build_output(&out, speaker_rx, &counters)?;
    if let Ok(frames) = stream.buffer_size() {
        speaker.keep_at_least(2 * frames as usize);
    }
    let quiet = Quiet::new();
    stream.play().map_err(|e| out.error(&e, &quiet))?;
    let streams = Streams { _input: None, _output: Some(stream), counters };
    Ok(Loudspeaker { device: out.id, speaker, streams })
}

/// A device found and configured for one direction.
struct Endpoint {
    device: cpal::Device,
    id: String,
    direction: Direction,
    config: StreamConfig,
    format: SampleFormat,
}

impl Endpoint {
    fn new(spec: Option<&str>, direction: Direction) -> Result<Endpoint, AudioError> {
        let device = find(spec, direction)?;
        let id = device_id(&device);
        let (config, format) = choose_config(&device, &id, direction)?;
        Ok(Endpoint { device, id, direction, config, format })
    }

    fn channels(&self) -> usize {
        usize::from(self.config.channels)
    }

    fn error(&self, err: &cpal::Error, quiet: &Quiet) -> AudioError {
        AudioError::from_cpal(err, &self.id, self.direction, quiet.last_message())
    }
}

/// The error callback: counts (cpal's threads are no place to print).
fn count_errors(counters: &Arc<Counters>) -> impl FnMut(cpal::Error) + Send + 'static {
    let counters = counters.clone();
    move |_| {
        counters.stream_errors.fetch_add(1, Ordering::Relaxed);
    }
}

fn build_input(
    end: &Endpoint,
    mut ring: Producer<f32>,
    counters: &Arc<Counters>,
) -> Result<cpal::Stream, AudioError> {
    let (channels, format, c) = (end.channels(), end.format, counters.clone());
    let on_data = move |data: &Data, _: &cpal::InputCallbackInfo| match format {
        SampleFormat::I16 => capture(data.as_slice::<i16>().unwrap_or_default(), channels, &mut ring, &c),
        _ => capture(data.as_slice::<f32>().unwrap_or_default(), channels, &mut ring, &c),
    };
    let quiet = Quiet::new();
    let built = end.device.build_input_stream_raw(end.config, format, on_data, count_errors(counters), None);
    built.map_err(|e| end.error(&e, &quiet))
}

fn build_output(
    end: &Endpoint,
    mut ring: Consumer<f32>,
    counters: &Arc<Counters>,
) -> Result<cpal::Stream, AudioError> {
    let (channels, format, c) = (end.channels(), end.format, counters.clone());
    let on_data = move |data: &mut Data, _: &cpal::OutputCallbackInfo| match format {
        SampleFormat::I16 => play(data.as_slice_mut::<i16>().unwrap_or_default(), channels, &mut ring, &c),
        _ => play(data.as_slice_mut::<f32>().unwrap_or_default(), channels, &mut ring, &c),
    };
    let quiet = Quiet::new();
    let built = end.device.build_output_stream_raw(end.config, format, on_data, count_errors(counters), None);
    built.map_err(|e| end.error(&e, &quiet))
}

/// The input callback: mixes `interleaved` down to mono and queues it; what does not fit
/// is counted as dropped.
pub(super) fn capture<T: PcmSample>(
    interleaved: &[T],
    channels: usize,
    ring: &mut Producer<f32>,
    counters: &Counters,
) {
    let frames = interleaved.len() / channels.max(1);
    let room = frames.min(ring.slots());
    if let Ok(chunk) = ring.write_chunk_uninit(room) {
        chunk.fill_from_iter(downmix(interleaved, channels));
    }
    counters.captured.fetch_add(frames as u64, Ordering::Relaxed);
    if room < frames {
        counters.capture_dropped.fetch_add((frames - room) as u64, Ordering::Relaxed);
    }
}

/// The output callback: fills `interleaved` with queued mono samples on every channel, and
/// with silence (counted as starved) past what is queued.
pub(super) fn play<T: PcmSample>(
    interleaved: &mut [T],
    channels: usize,
    ring: &mut Consumer<f32>,
    counters: &Counters,
) {
    let frames = interleaved.len() / channels.max(1);
    let queued = frames.min(ring.slots());
    match ring.read_chunk(queued) {
        Ok(chunk) => {
            let (a, b) = chunk.as_slices();
            upmix(a.iter().chain(b).copied(), channels, interleaved);
            chunk.commit_all();
        }
        Err(_) => {
            upmix(std::iter::empty(), channels, interleaved);
        }
    }
    counters.played.fetch_add(frames as u64, Ordering::Relaxed);
    if queued < frames {
        counters.starved.fetch_add((frames - queued) as u64, Ordering::Relaxed);
    }
}
