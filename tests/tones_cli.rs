//! `sip7940 tones`: the list, the WAV files in `assets/tones/` (which must be exactly what
//! the generator writes), and playing one on a sound card (ALSA's file plugin).

#[path = "support/alsa.rs"]
mod alsa;

use std::path::Path;
use std::process::{Command, Output};

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

#[test]
fn the_list_names_every_tone_with_its_cadence() {
    let out = sip7940(None, &["tones"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    assert_eq!(list.lines().count(), 6, "{list}");
    assert!(list.contains("ringback     440 + 480 Hz at -19 dBm0, 2 s on, 4 s off"), "{list}");
    assert!(list.contains("dial         350 + 440 Hz at -13 dBm0, continuous"), "{list}");
    assert!(
        list.contains("ring         1209 + 1336 Hz at -10 dBm0, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off"),
        "{list}"
    );
}

#[test]
fn the_assets_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = sip7940(None, &["tones", "--write", dir.path().to_str().unwrap_or_default()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/tones");
    for name in ["dial", "ringback", "busy", "reorder", "ring", "callwaiting"] {
        let file = format!("{name}.wav");
        let written = std::fs::read(dir.path().join(&file)).expect("written");
        let committed = std::fs::read(assets.join(&file)).unwrap_or_default();
        assert!(written.len() > 44, "{file} has samples");
        assert!(written == committed, "assets/tones/{file} differs from `sip7940 tones --write`");
    }
}

#[test]
fn a_tone_plays_on_the_sound_card() {
    let home = alsa::home_with(alsa::FILE_CARD);
    let out = sip7940(Some(home.path()), &["tones", "ring", "--audio", "--seconds", "0.3"]);
    assert!(out.status.success(), "{}{}", text(&out.stdout), text(&out.stderr));
    let (share, samples) = alsa::tone_share(&alsa::speaker_samples(home.path()), &[1209.0, 1336.0]);
    assert!(samples >= 4800, "some of the ring was played: {samples}");
    assert!(share > 0.8, "1209 + 1336 Hz: {share:.2}");
}

#[test]
fn without_a_sound_card_one_line_and_exit_1() {
    let home = alsa::home_with("pcm.!default \"sip7940_missing\"\n");
    let out = sip7940(Some(home.path()), &["tones", "busy", "--audio", "--seconds", "0.2"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sip7940 tones: no sound card: "), "{err}");
}
