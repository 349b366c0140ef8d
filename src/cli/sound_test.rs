//! `sip7940 devices --test`: plays the 1 kHz test tone through the sound card, listens on
//! its microphone at the same time, and reports what happened, measured by the device
//! clock. It drives the [`AudioPath`] the way a call's media task would: on every tick,
//! top the loudspeaker up to its playout target and read every microphone frame that is ready.

use super::output;
use crate::io::audio::{AudioPath, AudioStats, PathInfo, open};
use crate::media::goertzel::Goertzel;
use crate::media::sink::CollectSink;
use crate::media::source::{FRAME_SAMPLES, Frame, FrameSource, SAMPLE_RATE, ToneSource};
use crate::media::tone::power_dbm0;
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// How often the loop wakes up: well under the 60 ms playout target.
const TICK: Duration = Duration::from_millis(5);
/// Extra time allowed, beyond the tone's length, before the device is declared stuck.
const GRACE: Duration = Duration::from_secs(2);
/// A device that plays this many times faster than its nominal rate has no clock.
const NO_CLOCK_FACTOR: f64 = 2.0;

/// What the test saw.
struct Outcome {
    info: PathInfo,
    stats: AudioStats,
    frames: usize,
    elapsed: Duration,
    finished: bool,
    heard: Vec<i16>,
}

/// Runs the test on `device` (`None`: the defaults) for `seconds`. Exit 0 when the tone was
/// played in full by a device with a plausible clock and the streams reported no error; 1
/// otherwise (no sound card included).
pub(super) fn run(device: Option<&str>, seconds: f64, json: bool) -> ExitCode {
    let path = match open(device) {
        Ok(path) => path,
        Err(err) => {
            let text = if json {
                format!("{:#}\n", json!({ "ok": false, "error": err.to_string() }))
            } else {
                format!("{err}\n")
            };
            let _ = output::print(&text);
            return ExitCode::from(1);
        }
    };
    let frames = (seconds.clamp(0.02, 600.0) * 50.0).round() as usize;
    let outcome = play_and_listen(path, frames);
    let ok = outcome.finished && outcome.stats.stream_errors == 0 && has_clock(&outcome);
    let text = if json { format!("{:#}\n", to_json(&outcome, ok)) } else { to_text(&outcome) };
    if let Err(err) = output::print(&text) {
        eprintln!("sip7940 devices: cannot write the report: {err}");
        return ExitCode::from(2);
    }
    ExitCode::from(if ok { 0 } else { 1 })
}

fn play_and_listen(mut path: AudioPath, frames: usize) -> Outcome {
    let mut tone = ToneSource::default();
    let mut frame: Frame = [0; FRAME_SAMPLES];
    let mut heard = CollectSink::with_limit(frames * FRAME_SAMPLES);
    let mut pushed = 0;
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(frames as f64 / 50.0) + GRACE;
    path.microphone.discard_backlog();
    let finished = loop {
        for _ in 0..path.speaker.frames_wanted().min(frames - pushed) {
            tone.next_frame(&mut frame);
            path.speaker.push_frame(&frame);
            pushed += 1;
        }
        // The frames ready now, not "while any are ready": a device without a clock would
        // keep this loop busy for ever.
        for _ in 0..path.microphone.frames_ready() {
            path.microphone.next_frame(&mut frame);
            crate::media::sink::FrameSink::put_frame(&mut heard, &frame);
        }
        if pushed == frames && path.speaker.queued() == 0 {
            break true;
        }
        if Instant::now() >= deadline {
            break false;
        }
        std::thread::sleep(TICK);
    };
    let elapsed = start.elapsed();
    let stats = path.stats();
    Outcome { info: path.info.clone(), stats, frames, elapsed, finished, heard: heard.into_samples() }
}

/// The device clock measured against the wall clock, in Hz.
fn measured_rate(o: &Outcome) -> f64 {
    o.stats.played as f64 / o.elapsed.as_secs_f64().max(1e-6)
}

fn tone_share(heard: &[i16]) -> f64 {
    Goertzel::new(SAMPLE_RATE, ToneSource::DEFAULT_HZ, heard.len().max(1))
        .map_or(0.0, |g| g.relative_power(heard))
}

/// Whether the output device played at something like its nominal rate.
fn has_clock(o: &Outcome) -> bool {
    measured_rate(o) <= f64::from(o.info.output_rate) * NO_CLOCK_FACTOR
}

fn clock_text(o: &Outcome) -> String {
    let rate = measured_rate(o);
    let nominal = f64::from(o.info.output_rate);
    if !has_clock(o) {
        format!("the output device has no clock: it took {rate:.0} samples/s for a {nominal:.0} Hz stream")
    } else {
        format!("{rate:.0} Hz measured for {nominal:.0} Hz nominal")
    }
}

fn to_text(o: &Outcome) -> String {
    let i = &o.info;
    let s = &o.stats;
    let played = if o.finished {
        format!("played {:.2} s of the 1 kHz test tone", o.frames as f64 / 50.0)
    } else {
        format!("the output device did not play the test tone within {:.1} s", o.elapsed.as_secs_f64())
    };
    format!(
        "{played} to {} ({} Hz, {} ch, {})\n\
         microphone {} ({} Hz, {} ch, {}): heard {:.1} dBm0, {:.0} % of it at 1 kHz\n\
         device clock: {}\n\
         counters: captured {}, dropped {}, skipped {}, mic underruns {}, played {}, starved {}, \
         speaker overruns {}, stream errors {}\n",
        i.output,
        i.output_rate,
        i.output_channels,
        i.output_format,
        i.input,
        i.input_rate,
        i.input_channels,
        i.input_format,
        power_dbm0(&o.heard),
        tone_share(&o.heard) * 100.0,
        clock_text(o),
        s.captured,
        s.capture_dropped,
        s.capture_skipped,
        s.mic_underruns,
        s.played,
        s.starved,
        s.speaker_overruns,
        s.stream_errors,
    )
}

fn to_json(o: &Outcome, ok: bool) -> serde_json::Value {
    let level = power_dbm0(&o.heard);
    json!({
        "ok": ok,
        "finished": o.finished,
        "path": o.info,
        "seconds": o.frames as f64 / 50.0,
        "elapsed_s": o.elapsed.as_secs_f64(),
        "heard_dbm0": if level.is_finite() { json!(level) } else { json!(null) },
        "heard_tone_share": tone_share(&o.heard),
        "measured_output_rate": measured_rate(o),
        "stats": o.stats,
    })
}
