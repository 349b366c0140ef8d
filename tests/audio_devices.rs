//! `sip7940 devices` against the real sound system (ALSA through cpal), without depending on
//! a sound card: each test points ALSA at an `.asoundrc` of its own in a temporary HOME.
//!
//! * No sound card: ALSA's `default` names a PCM that does not exist, which is exactly what a
//!   machine without a card looks like. The listing and the self-test must each say so in one
//!   line, with no panic and none of ALSA's own error lines on stderr.
//! * A sound card made of ALSA plugins: `default` plays through `plug` (converting to 16-bit
//!   stereo 48 kHz) into the `file` plugin, whose slave is `null`. That exercises the real
//!   cpal streams, callbacks and rings, and the file holds what the callback wrote. `null`
//!   has no clock (its callbacks run as fast as the CPU allows, and no ALSA plugin can supply
//!   one without a kernel driver or a sound server), so timing is not tested here: the
//!   self-test must notice the missing clock and exit 1.

#[path = "support/alsa.rs"]
mod alsa;

use alsa::{FILE_CARD, home_with, sounding_stretches};
use serde_json::Value;
use sip7940::media::goertzel::Goertzel;
use sip7940::media::tone::power_dbm0;
use std::path::Path;
use std::process::{Command, Output};

/// Runs `sip7940 ARGS` with ALSA's per-user configuration taken from `home` (when given).
fn sip7940(home: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sip7940"));
    cmd.args(args);
    if let Some(home) = home {
        cmd.env("HOME", home).env("XDG_CONFIG_HOME", home);
    }
    cmd.output().expect("run sip7940")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a machine without a sound card looks like to ALSA.
const NO_CARD: &str = "pcm.!default \"sip7940_missing\"\n";
const NO_CARD_LINE: &str = "no sound card: DeviceNotAvailable on 'alsa:default' (ALSA: Unknown PCM sip7940_missing) — running headless";

#[test]
fn devices_on_this_machine_exits_cleanly() {
    let out = sip7940(None, &["devices"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "no panic, no ALSA noise");
    if stdout.starts_with("no sound card: ") {
        assert_eq!(stdout.lines().count(), 1, "{stdout}");
        assert!(stdout.trim_end().ends_with("— running headless"), "{stdout}");
    } else {
        assert!(stdout.lines().next().is_some_and(|l| l.contains(" — ")), "{stdout}");
    }
}

#[test]
fn devices_without_a_sound_card_prints_one_line() {
    let home = home_with(NO_CARD);
    let out = sip7940(Some(home.path()), &["devices"]);
    assert_eq!(text(&out.stdout), format!("{NO_CARD_LINE}\n"));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(0));

    let out = sip7940(Some(home.path()), &["devices", "--json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(doc["sound_card"], false);
    assert_eq!(doc["problem"], NO_CARD_LINE);
    let default = &doc["devices"][0];
    assert_eq!(default["id"], "alsa:default");
    assert_eq!(default["default_output"], true);
    assert!(default["output"].is_null());
}

#[test]
fn device_test_without_a_sound_card_fails_at_once_with_the_same_line() {
    let home = home_with(NO_CARD);
    let out = sip7940(Some(home.path()), &["devices", "--test"]);
    assert_eq!(text(&out.stdout), format!("{NO_CARD_LINE}\n"));
    assert_eq!(text(&out.stderr), "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unknown_device_is_named_in_the_error() {
    let home = home_with(NO_CARD);
    let out = sip7940(Some(home.path()), &["devices", "--test", "--device", "no-such-card"]);
    assert_eq!(
        text(&out.stdout),
        "no audio device matches 'no-such-card' (see `sip7940 devices`)\n",
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn device_test_through_alsa_file_plugin_plays_the_tone() {
    let home = home_with(FILE_CARD);
    let out = sip7940(Some(home.path()), &["devices", "--test", "--seconds", "0.2", "--json"]);
    assert_eq!(text(&out.stderr), "", "no panic, no ALSA noise");
    let doc: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)));
    // The tone was played in full, but by a device without a clock: exit 1.
    assert_eq!(doc["finished"], true, "{doc:#}");
    assert_eq!(doc["ok"], false, "{doc:#}");
    assert_eq!(out.status.code(), Some(1));
    assert!(doc["measured_output_rate"].as_f64().unwrap_or(0.0) > 96_000.0, "{doc:#}");
    assert_eq!(doc["path"]["output"], "alsa:default");
    assert_eq!(doc["stats"]["stream_errors"], 0);
    assert_eq!(doc["stats"]["speaker_overruns"], 0);
    assert!(doc["stats"]["captured"].as_u64().unwrap_or(0) > 0, "the input stream ran: {doc:#}");

    // What the output callback wrote: the same on both channels, a 1 kHz tone at −10 dBm0.
    let raw = std::fs::read(home.path().join("speaker.raw")).expect("the file plugin's output");
    let frames: Vec<[i16; 2]> = raw
        .chunks_exact(4)
        .map(|b| [i16::from_le_bytes([b[0], b[1]]), i16::from_le_bytes([b[2], b[3]])])
        .collect();
    assert!(frames.iter().all(|[l, r]| l == r), "both channels carry the mono signal");
    let left: Vec<i16> = frames.iter().map(|[l, _]| *l).collect();
    let toned: Vec<&[i16]> = sounding_stretches(&left)
        .into_iter()
        .filter(|s| s.len() >= 480)
        .filter(|s| Goertzel::new(48_000, 1000.0, s.len()).is_ok_and(|g| g.relative_power(s) > 0.9))
        .collect();
    let tone: Vec<i16> = toned.concat();
    // 0.2 s at 48 kHz is 9600 samples; allow for the stretches cut short at each silence.
    assert!(tone.len() >= 4800, "{} samples of tone in {} stretches", tone.len(), toned.len());
    let level = power_dbm0(&tone);
    assert!((level + 10.0).abs() < 0.5, "{level} dBm0");
}
