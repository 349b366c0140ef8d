//! A sound card made of ALSA plugins, for tests on machines without one: a temporary HOME
//! whose `.asoundrc` routes `default` to a file.

#![allow(dead_code)]

/// A temporary HOME whose `.asoundrc` is `asoundrc` (`@DIR@` replaced by its path).
pub fn home_with(asoundrc: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = asoundrc.replace("@DIR@", &dir.path().display().to_string());
    std::fs::write(dir.path().join(".asoundrc"), conf).expect("write .asoundrc");
    dir
}

/// Playback into a raw 16-bit stereo 48 kHz file, capture from silence.
pub const FILE_CARD: &str = r#"
pcm.!default {
  type asym
  playback.pcm "sip7940_speaker"
  capture.pcm "null"
}
pcm.sip7940_speaker {
  type plug
  slave { pcm "sip7940_file"; format S16_LE; rate 48000; channels 2 }
}
pcm.sip7940_file {
  type file
  slave.pcm "null"
  file "@DIR@/speaker.raw"
  format "raw"
}
"#;

/// The stretches of `samples` between silences (runs of 3 or more zeros): with no clock, the
/// callback plays silence whenever it outruns the test's pushes.
pub fn sounding_stretches(samples: &[i16]) -> Vec<&[i16]> {
    let mut stretches = Vec::new();
    let (mut start, mut zeros) = (None, 0);
    for (i, &s) in samples.iter().enumerate() {
        if s == 0 {
            zeros += 1;
            if zeros == 3
                && let Some(from) = start.take()
            {
                stretches.push(&samples[from..i - 2]);
            }
        } else {
            zeros = 0;
            start.get_or_insert(i);
        }
    }
    if let Some(from) = start {
        stretches.push(&samples[from..]);
    }
    stretches
}

/// The left channel of what the file card's output callback wrote (16-bit stereo 48 kHz).
pub fn speaker_samples(home: &std::path::Path) -> Vec<i16> {
    let raw = std::fs::read(home.join("speaker.raw")).unwrap_or_default();
    raw.chunks_exact(4).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

/// The median, over the stretches of at least 20 ms that the loudspeaker played (see
/// [`sounding_stretches`]), of the share of each stretch's energy in `freqs` (at 48 kHz),
/// and how many samples those stretches hold.
pub fn tone_share(speaker: &[i16], freqs: &[f64]) -> (f64, usize) {
    let stretches: Vec<&[i16]> = sounding_stretches(speaker).into_iter().filter(|s| s.len() >= 960).collect();
    let mut shares: Vec<f64> = stretches
        .iter()
        .map(|s| {
            freqs
                .iter()
                .filter_map(|f| sip7940::media::goertzel::Goertzel::new(48_000, *f, s.len()).ok())
                .map(|g| g.relative_power(s))
                .sum()
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let median = shares.get(shares.len() / 2).copied().unwrap_or(0.0);
    (median, stretches.iter().map(|s| s.len()).sum())
}
