//! The sound card: the only code in the crate that touches it (through cpal).
//!
//! * [`list_devices`] describes every device the audio host knows (for `sip7940 devices`).
//! * [`open`] opens a microphone and a loudspeaker at the device's own rate and format and
//!   returns an [`AudioPath`]: a [`Microphone`] that is a
//!   [`FrameSource`](crate::media::source::FrameSource) of 8 kHz 20 ms frames, and a
//!   [`Speaker`] that takes 8 kHz frames.
//!
//! # Threads and buffers
//!
//! cpal calls the device callbacks on its own real-time threads. They only convert samples
//! (i16 or f32, any channel count, to and from mono f32), move them through a lock-free
//! single-producer single-consumer ring ([`rtrb`]) and add to atomic counters: no lock, no
//! allocation, no resampling. Resampling (see [`crate::media::resample`]) happens on the
//! media side, in [`Microphone::next_frame`](crate::media::source::FrameSource::next_frame)
//! and [`Speaker::push_frame`].
//!
//! # The device clock drives playout
//!
//! The loudspeaker's callback drains its ring at exactly the device's rate. The media task
//! keeps the ring near a target fill ([`AudioOptions::playout_ms`]) by asking
//! [`Speaker::frames_wanted`] on every tick of its own timer (every 5–10 ms, or its 20 ms
//! pacer) and pulling that many frames from its jitter buffer:
//!
//! ```text
//! every tick:  for _ in 0..speaker.frames_wanted() { speaker.push_frame(&jitter.pop()) }
//!              for _ in 0..mic.frames_ready() { mic.next_frame(&mut f); send_rtp(&f) }
//! ```
//!
//! The timer only sets the granularity; the average rate of pulls is the device's, so the
//! jitter buffer is read at the sound card's pace and its depth shows the drift between the
//! far end's clock and the sound card's. [`Speaker::set_adjust_ppm`] (±1 %) corrects that
//! drift without dropping or repeating frames. The same holds for the microphone: sending
//! whenever [`Microphone::frames_ready`] says a frame is there paces RTP by the sound card.
//! [`Speaker::played_samples`] is the device clock itself, in samples, for a task that wants
//! to measure it.
//!
//! # Without a sound card
//!
//! Nothing panics. On a machine without one, ALSA's `default` device does not exist and
//! opening it fails with cpal's `DeviceNotAvailable`: [`open`] returns
//! [`AudioError::DeviceNotAvailable`], whose message reads
//! `no sound card: DeviceNotAvailable on 'default' (ALSA: Unknown PCM default) — running
//! headless`. ALSA's own error lines are kept off stderr and folded into that message.
//! ALSA's `null` device opens but has no clock: its callbacks run as fast as the CPU allows,
//! so it is usable for tests of the data path, not for timing. [`SimulatedCard`] gives an
//! [`AudioPath`] with no device at all, whose callbacks the caller runs by hand.

mod device;
mod path;
mod quiet;
mod simulated;
mod stream;
#[cfg(test)]
mod tests;
mod tone_player;

pub use device::{DeviceInfo, StreamInfo, headless_reason, list_devices};
pub use path::{AudioOptions, AudioPath, AudioStats, Loudspeaker, Microphone, PathInfo, Speaker, Streams};
pub use simulated::SimulatedCard;
pub use stream::{open, open_output, open_with};
pub use tone_player::TonePlayer;

use crate::media::resample::ResampleError;
use std::fmt;
use thiserror::Error;

/// Which way audio flows through a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Capture: a microphone.
    Input,
    /// Playback: a loudspeaker.
    Output,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Input => "input",
            Direction::Output => "output",
        })
    }
}

/// Why the sound card could not be listed or opened. Every message is one line.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum AudioError {
    /// The audio host has no device for that direction at all.
    #[error("no sound card: no {direction} device — running headless")]
    NoDevice {
        /// Which device was wanted.
        direction: Direction,
    },
    /// The device exists in name but cannot be opened (ALSA's `default` on a machine without
    /// a sound card, or one that was unplugged).
    #[error("no sound card: {kind} on '{name}'{} — running headless", detail_text(.detail))]
    DeviceNotAvailable {
        /// The device's name or id.
        name: String,
        /// cpal's error kind, e.g. `DeviceNotAvailable`.
        kind: String,
        /// What the backend said, when it said something (e.g. ALSA's "Unknown PCM default").
        detail: Option<String>,
    },
    /// No device matches the name or id asked for.
    #[error("no audio device matches '{spec}' (see `sip7940 devices`)")]
    NotFound {
        /// What was asked for.
        spec: String,
    },
    /// Another program holds the device.
    #[error("audio device '{name}' is busy (another program is using it)")]
    Busy {
        /// The device.
        name: String,
    },
    /// The user may not open the device.
    #[error("no permission to open audio device '{name}' (is the user in the 'audio' group?)")]
    PermissionDenied {
        /// The device.
        name: String,
    },
    /// The device offers no configuration this code can use (16-bit or float samples).
    #[error("audio device '{name}' has no usable {direction} configuration: {reason}")]
    UnsupportedConfig {
        /// The device.
        name: String,
        /// Which way.
        direction: Direction,
        /// What was wrong.
        reason: String,
    },
    /// Any other failure of the audio backend.
    #[error("audio stream: {0}")]
    Stream(String),
}

fn detail_text(detail: &Option<String>) -> String {
    detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default()
}

impl AudioError {
    /// Whether this error means "there is no sound card here" (a machine to run headless on)
    /// rather than a device that is present but misbehaves.
    pub fn is_headless(&self) -> bool {
        matches!(self, AudioError::NoDevice { .. } | AudioError::DeviceNotAvailable { .. })
    }

    /// Maps a cpal error on device `name`, with what the backend printed (`detail`).
    pub(crate) fn from_cpal(
        err: &cpal::Error,
        name: &str,
        direction: Direction,
        detail: Option<String>,
    ) -> Self {
        use cpal::ErrorKind as K;
        let name = name.to_owned();
        match err.kind() {
            K::DeviceNotAvailable | K::HostUnavailable => {
                AudioError::DeviceNotAvailable { name, kind: format!("{:?}", err.kind()), detail }
            }
            K::DeviceBusy => AudioError::Busy { name },
            K::PermissionDenied => AudioError::PermissionDenied { name },
            K::UnsupportedConfig | K::UnsupportedOperation | K::InvalidInput => {
                AudioError::UnsupportedConfig { name, direction, reason: one_line(&err.to_string()) }
            }
            _ => AudioError::Stream(format!("'{name}' ({direction}): {}", one_line(&err.to_string()))),
        }
    }
}

impl From<ResampleError> for AudioError {
    fn from(err: ResampleError) -> Self {
        AudioError::Stream(err.to_string())
    }
}

/// The first line of `text`, trimmed (backend messages sometimes carry several).
pub(crate) fn one_line(text: &str) -> String {
    text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("").to_owned()
}
