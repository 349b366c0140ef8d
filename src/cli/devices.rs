//! `sip7940 devices`: the audio devices the sound system offers, with their default
//! configurations, or one line saying there is no sound card.

use super::{Cli, output, sound_test};
use crate::io::audio::{AudioError, DeviceInfo, StreamInfo, headless_reason, list_devices};
use serde_json::{Value, json};
use std::process::ExitCode;

/// Options of `devices`.
#[derive(Debug, clap::Args)]
pub struct DevicesArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,

    /// Instead of listing: play the 1 kHz test tone on the loudspeaker while listening on
    /// the microphone, and report levels, the measured device clock and the counters.
    /// Exit 0 when the tone played in full at the device's rate, 1 otherwise (no sound card,
    /// or a device without a clock such as ALSA's null).
    #[arg(long)]
    pub test: bool,

    /// The device to test (its id or name as listed); the defaults when absent.
    #[arg(long, value_name = "DEVICE", requires = "test")]
    pub device: Option<String>,

    /// How long to play the test tone.
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0, requires = "test")]
    pub seconds: f64,
}

pub(super) fn run(_cli: &Cli, args: &DevicesArgs) -> ExitCode {
    if args.test {
        return sound_test::run(args.device.as_deref(), args.seconds, args.json);
    }
    let (devices, problem) = match list_devices() {
        Ok(devices) => {
            let problem = headless_reason(&devices);
            (devices, problem)
        }
        Err(err) => (Vec::new(), Some(err)),
    };
    // No sound card is a normal state for a headless phone: exit 0. Any other failure: 2.
    let code = match &problem {
        Some(err) if !err.is_headless() => 2,
        _ => 0,
    };
    let text = if args.json {
        format!("{:#}\n", to_json(&devices, problem.as_ref()))
    } else if let Some(err) = &problem {
        format!("{err}\n")
    } else {
        to_text(&devices)
    };
    if let Err(err) = output::print(&text) {
        eprintln!("sip7940 devices: cannot write the list: {err}");
        return ExitCode::from(2);
    }
    ExitCode::from(code)
}

fn to_text(devices: &[DeviceInfo]) -> String {
    let mut out = String::new();
    for d in devices {
        let defaults: Vec<&str> = [(d.default_input, "default input"), (d.default_output, "default output")]
            .into_iter()
            .filter_map(|(is, label)| is.then_some(label))
            .collect();
        let marks = if defaults.is_empty() { String::new() } else { format!(" [{}]", defaults.join(", ")) };
        out.push_str(&format!("{} — {} ({}){marks}\n", d.id, d.name, d.host));
        for (label, side) in [("input ", &d.input), ("output", &d.output)] {
            match side {
                Ok(info) => out.push_str(&format!("    {label}  {}\n", stream_text(info))),
                Err(AudioError::UnsupportedConfig { .. }) => {}
                Err(err) => out.push_str(&format!("    {label}  unavailable: {err}\n")),
            }
        }
    }
    out
}

/// Above this, a "maximum rate" is a plugin's way of saying "any".
const ANY_RATE: u32 = 1_000_000;

fn stream_text(info: &StreamInfo) -> String {
    let rates = match info.rates {
        (low, high) if low == high => format!("{low} Hz"),
        (low, high) if high >= ANY_RATE => format!("{low} Hz and up"),
        (low, high) => format!("{low}–{high} Hz"),
    };
    let channels = match info.channel_range {
        (low, high) if low == high => low.to_string(),
        (low, high) => format!("{low}–{high}"),
    };
    format!("{} Hz, {} ch, {}  (supports {rates}, {channels} ch)", info.rate, info.channels, info.format)
}

fn to_json(devices: &[DeviceInfo], problem: Option<&AudioError>) -> Value {
    let side = |r: &Result<StreamInfo, AudioError>| match r {
        Ok(info) => (json!(info), Value::Null),
        Err(err) => (Value::Null, json!(err.to_string())),
    };
    let list: Vec<Value> = devices
        .iter()
        .map(|d| {
            let (input, input_error) = side(&d.input);
            let (output, output_error) = side(&d.output);
            json!({
                "id": d.id, "name": d.name, "host": d.host, "details": d.details,
                "default_input": d.default_input, "default_output": d.default_output,
                "input": input, "input_error": input_error,
                "output": output, "output_error": output_error,
            })
        })
        .collect();
    json!({
        "sound_card": problem.is_none(),
        "problem": problem.map(ToString::to_string),
        "devices": list,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::audio::Direction;

    fn device(id: &str, default: bool, output: Result<StreamInfo, AudioError>) -> DeviceInfo {
        DeviceInfo {
            host: "ALSA".into(),
            id: id.into(),
            name: format!("{id} name"),
            details: vec![],
            default_input: default,
            default_output: default,
            input: Err(AudioError::UnsupportedConfig {
                name: id.into(),
                direction: Direction::Input,
                reason: "input is not supported".into(),
            }),
            output,
        }
    }

    fn info() -> StreamInfo {
        StreamInfo {
            rate: 48_000,
            channels: 2,
            format: "f32".into(),
            rates: (8000, 96_000),
            channel_range: (1, 2),
        }
    }

    #[test]
    fn text_marks_defaults_and_lists_configurations() {
        let busy = Err(AudioError::Busy { name: "alsa:hw".into() });
        let text = to_text(&[device("alsa:default", true, Ok(info())), device("alsa:hw", false, busy)]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "alsa:default — alsa:default name (ALSA) [default input, default output]",
                "    output  48000 Hz, 2 ch, f32  (supports 8000–96000 Hz, 1–2 ch)",
                "alsa:hw — alsa:hw name (ALSA)",
                "    output  unavailable: audio device 'alsa:hw' is busy (another program is using it)",
            ]
        );
    }

    #[test]
    fn json_carries_configurations_and_errors() {
        let v = to_json(&[device("alsa:default", true, Ok(info()))], None);
        assert_eq!(v["sound_card"], true);
        assert_eq!(v["devices"][0]["output"]["rate"], 48_000);
        assert_eq!(v["devices"][0]["output"]["rates"], json!([8000, 96_000]));
        assert!(v["devices"][0]["input"].is_null());
        assert!(v["devices"][0]["input_error"].as_str().unwrap_or("").contains("not supported"));
        let headless = AudioError::NoDevice { direction: Direction::Output };
        let v = to_json(&[], Some(&headless));
        assert_eq!(v["sound_card"], false);
        assert_eq!(v["problem"], "no sound card: no output device — running headless");
    }
}
