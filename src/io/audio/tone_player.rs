//! Plays a call-progress tone (ringback, busy, the ringer…) on the loudspeaker until told
//! to stop: a small task that keeps the speaker's ring at its playout target, so the
//! device's clock sets the pace, exactly as a call's media task does.

use super::path::Loudspeaker;
use crate::media::progress_tone::ToneFrames;
use crate::media::source::{FRAME_SAMPLES, FrameSource};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// How often the task tops up the loudspeaker's ring.
const TICK: Duration = Duration::from_millis(10);

/// A tone playing on a loudspeaker; it stops (and releases the device) when stopped or
/// dropped.
pub struct TonePlayer {
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<u64>>,
}

impl TonePlayer {
    /// Starts playing `frames` on `out` (must be called inside a tokio runtime).
    pub fn start(out: Loudspeaker, mut frames: ToneFrames) -> TonePlayer {
        let (stop_tx, mut stop_rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let Loudspeaker { mut speaker, streams, .. } = out;
            let mut ticks = tokio::time::interval(TICK);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut pushed = 0u64;
            let mut frame = [0i16; FRAME_SAMPLES];
            loop {
                tokio::select! {
                    _ = &mut stop_rx => break,
                    _ = ticks.tick() => {
                        for _ in 0..speaker.frames_wanted() {
                            frames.next_frame(&mut frame);
                            speaker.push_frame(&frame);
                            pushed += 1;
                        }
                    }
                }
            }
            drop(streams);
            pushed
        });
        TonePlayer { stop: Some(stop_tx), task: Some(task) }
    }

    /// Stops the tone and releases the device; returns how many 20 ms frames were queued.
    pub async fn stop(mut self) -> u64 {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.unwrap_or(0),
            None => 0,
        }
    }
}

impl Drop for TonePlayer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
