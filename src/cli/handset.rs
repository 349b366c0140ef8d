//! The handset: the sound card as the person using the phone meets it. With `--audio` it
//! plays the call-progress tones (ringback while the far end rings, busy or reorder when a
//! call fails, the ringer for an incoming call) and then carries the call's audio; without a
//! sound card it says so once and everything goes on headless.

use super::boot::Outgoing;
use crate::io::audio::{AudioOptions, TonePlayer};
use crate::io::media_task::Audio;
use crate::media::progress_tone::{ProgressTone, ToneFrames};
use std::time::Duration;

/// How long a failed call's busy or reorder tone plays before `call` exits.
pub const FAILURE_TONE: Duration = Duration::from_secs(3);

/// The sound card chosen with `--audio[=DEVICE]`, and the tone now playing on it.
pub struct Handset {
    /// `Some("")` for the default device, `Some(name)` for a named one, `None` headless.
    device: Option<String>,
    /// Who speaks in messages (`sip7940 call`).
    who: &'static str,
    /// Set once opening the card failed (and that was said): no more tries.
    headless: bool,
    /// The tone now playing.
    playing: Option<(ProgressTone, TonePlayer)>,
    /// A recording that replaces the generated ringer (`--ring FILE.wav`).
    ring: Option<Vec<i16>>,
}

impl Handset {
    /// A handset on `device` (from `--audio`; `None`: no sound card wanted).
    pub fn new(device: Option<&str>, who: &'static str) -> Handset {
        Handset { device: device.map(str::to_owned), who, headless: false, playing: None, ring: None }
    }

    /// Plays `samples` (8 kHz mono), looped, instead of the generated ringer (`--ring`).
    pub fn with_ring(mut self, samples: Option<Vec<i16>>) -> Handset {
        self.ring = samples;
        self
    }

    /// Whether tones can be heard: a sound card was asked for and has not failed.
    pub fn audible(&self) -> bool {
        self.device.is_some() && !self.headless
    }

    /// The tone now playing, if any.
    pub fn playing(&self) -> Option<ProgressTone> {
        self.playing.as_ref().map(|(t, _)| *t)
    }

    /// Plays `tone` (or stops playing with `None`). The same tone again keeps its cadence
    /// going; a change restarts on the new one. Without a sound card it does nothing (the
    /// first failure to open one is said once).
    pub async fn play(&mut self, tone: Option<ProgressTone>) {
        if self.playing() == tone {
            return;
        }
        if let Some((_, player)) = self.playing.take() {
            player.stop().await;
        }
        let (Some(tone), true) = (tone, self.audible()) else { return };
        let frames = match (&self.ring, tone) {
            (Some(samples), ProgressTone::Ring) => ToneFrames::looping(samples.clone()),
            _ => match ToneFrames::of(tone) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("{}: {tone} tone: {e}", self.who);
                    return;
                }
            },
        };
        let spec = self.device.as_deref().filter(|d| !d.is_empty());
        match crate::io::audio::open_output(spec, &AudioOptions::default()) {
            Ok(out) => self.playing = Some((tone, TonePlayer::start(out, frames))),
            Err(e) => {
                eprintln!("{}: {e}", self.who);
                self.headless = true;
            }
        }
    }

    /// Plays `tone` for `secs`, then stops (a failed call's busy tone before exit).
    pub async fn play_for(&mut self, tone: ProgressTone, secs: Duration) {
        if !self.audible() {
            return;
        }
        self.play(Some(tone)).await;
        if self.playing.is_some() {
            tokio::time::sleep(secs).await;
        }
        self.play(None).await;
    }

    /// A call's audio: the sound card (any tone stops first), or, headless, what `outgoing`
    /// says to send. A card that does not open is said once; later calls go headless
    /// without trying again.
    pub async fn call_audio(&mut self, outgoing: &Outgoing) -> Result<Audio, String> {
        self.play(None).await;
        if self.audible() {
            let spec = self.device.as_deref().filter(|d| !d.is_empty());
            match crate::io::audio::open(spec) {
                Ok(path) => return Ok(Audio::Card(Box::new(path))),
                Err(e) => {
                    eprintln!("{}: {e}", self.who);
                    self.headless = true;
                }
            }
        }
        outgoing.source().map(Audio::Headless)
    }
}
