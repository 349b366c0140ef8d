//! `sip7940 tones`: the phone's call-progress tones — listed, written as WAV files (what
//! `assets/tones/` holds), or played on the sound card.

use super::handset::Handset;
use crate::media::progress_tone::ProgressTone;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Options of `tones`.
#[derive(Debug, clap::Args)]
pub struct TonesArgs {
    /// One tone (dial, ringback, busy, reorder, ring, callwaiting); default: all of them.
    #[arg(value_name = "NAME")]
    pub name: Option<ProgressTone>,
    /// Write one period of each tone to DIR/<name>.wav (8 kHz mono, 16-bit).
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,
    /// Play the tone on the sound card (the default device, or DEVICE from `sip7940 devices`).
    #[arg(long, value_name = "DEVICE", num_args = 0..=1, default_missing_value = "")]
    pub audio: Option<String>,
    /// How long to play it, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 6.0)]
    pub seconds: f64,
}

pub(super) fn run(args: &TonesArgs) -> ExitCode {
    let chosen: Vec<ProgressTone> = match args.name {
        Some(t) => vec![t],
        None => ProgressTone::ALL.to_vec(),
    };
    if let Some(dir) = &args.write {
        return write(dir, &chosen);
    }
    if let Some(device) = &args.audio {
        let Some(tone) = args.name else {
            eprintln!(
                "sip7940 tones: --audio plays one tone: name it (e.g. `sip7940 tones ringback --audio`)"
            );
            return ExitCode::from(2);
        };
        return play(device, tone, args.seconds);
    }
    for tone in chosen {
        println!("{}", describe(tone));
    }
    ExitCode::SUCCESS
}

/// One line: name, frequencies, level, cadence.
fn describe(tone: ProgressTone) -> String {
    let freqs: Vec<String> = tone.frequencies().iter().map(|f| format!("{f}")).collect();
    let cadence = match tone.cadence_ms() {
        [] => "continuous".to_owned(),
        steps => {
            let parts: Vec<String> =
                steps.iter().map(|(on, off)| format!("{} s on, {} s off", secs(*on), secs(*off))).collect();
            parts.join(", ")
        }
    };
    format!("{:<12} {} Hz at {} dBm0, {cadence}", tone.name(), freqs.join(" + "), tone.level_dbm0())
}

fn secs(ms: u32) -> String {
    format!("{}", f64::from(ms) / 1000.0)
}

fn write(dir: &std::path::Path, tones: &[ProgressTone]) -> ExitCode {
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("sip7940 tones: cannot create {}: {e}", dir.display());
        return ExitCode::from(1);
    }
    for tone in tones {
        let path = dir.join(format!("{}.wav", tone.name()));
        let written = tone
            .one_period()
            .map_err(|e| e.to_string())
            .and_then(|s| crate::io::wav::write_wav_8k_mono(&path, &s).map_err(|e| e.to_string()));
        match written {
            Ok(()) => println!("{}", path.display()),
            Err(e) => {
                eprintln!("sip7940 tones: cannot write {}: {e}", path.display());
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}

fn play(device: &str, tone: ProgressTone, seconds: f64) -> ExitCode {
    let Ok(rt) = super::boot::runtime() else {
        eprintln!("sip7940 tones: cannot start the runtime");
        return ExitCode::from(3);
    };
    if !(seconds.is_finite() && seconds > 0.0) {
        eprintln!("sip7940 tones: --seconds {seconds}: give a positive number of seconds");
        return ExitCode::from(2);
    }
    rt.block_on(async {
        let mut handset = Handset::new(Some(device), "sip7940 tones");
        handset.play_for(tone, Duration::from_secs_f64(seconds)).await;
        // The handset said why if it could not play.
        if handset.audible() { ExitCode::SUCCESS } else { ExitCode::from(1) }
    })
}
