//! WAV files in and out of the media path (via `hound`).
//!
//! Reading accepts PCM of 8, 16, 24 or 32 bits and 32-bit float, any channel count and sample
//! rate, and returns what the call path needs: 8 kHz mono 16-bit samples. Channels are mixed by
//! averaging; other rates are resampled by linear interpolation (no anti-alias filter, which is
//! fine for prompts and test tones but not for hi-fi music). Writing produces 8 kHz mono 16-bit.
//!
//! Every failure (missing file, not a WAV, unsupported encoding, absurd length) is a
//! [`WavError`] that names the file; nothing panics on a bad file.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::{Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

/// The sample rate everything is converted to.
pub const TARGET_RATE: u32 = 8000;
/// Longest input accepted, in seconds of audio (bounds memory for a hostile header).
pub const MAX_SECONDS: u64 = 3600;

/// Why a WAV file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    /// The file does not exist.
    #[error("{}: no such file", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Not a well-formed WAV file.
    #[error("{}: not a valid WAV file ({reason})", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// A WAV file in an encoding this phone does not read (e.g. ADPCM, 64-bit float).
    #[error("{}: unsupported WAV format ({reason})", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The format found.
        reason: String,
    },
    /// Longer than [`MAX_SECONDS`].
    #[error("{}: {seconds} s of audio is more than the {MAX_SECONDS} s accepted", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Its length.
        seconds: u64,
    },
}

impl WavError {
    fn from_hound(path: &Path, e: hound::Error) -> WavError {
        let path = path.to_path_buf();
        match e {
            hound::Error::IoError(source) if source.kind() == std::io::ErrorKind::NotFound => {
                WavError::NotFound { path }
            }
            // hound reports a short read as `Other` ("Failed to read enough bytes").
            hound::Error::IoError(source)
                if matches!(source.kind(), std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::Other) =>
            {
                WavError::Malformed { path, reason: "file ends early".into() }
            }
            hound::Error::IoError(source) => WavError::Io { path, source },
            hound::Error::FormatError(reason) => WavError::Malformed { path, reason: reason.into() },
            hound::Error::Unsupported => {
                WavError::Unsupported { path, reason: "encoding other than PCM or IEEE float".into() }
            }
            other => WavError::Unsupported { path, reason: other.to_string() },
        }
    }
}

/// The format a file was stored in, before conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceFormat {
    /// Channels.
    pub channels: u16,
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Bits per sample.
    pub bits_per_sample: u16,
    /// True for IEEE float samples, false for integer PCM.
    pub float: bool,
}

/// Audio read from a file, converted to 8 kHz mono.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WavAudio {
    /// 8 kHz mono samples.
    pub samples: Vec<i16>,
    /// The file's own format.
    pub source: SourceFormat,
}

/// Reads a WAV file as 8 kHz mono.
pub fn read_wav(path: &Path) -> Result<WavAudio, WavError> {
    let reader = WavReader::open(path).map_err(|e| WavError::from_hound(path, e))?;
    convert(reader, path)
}

/// Reads a WAV file as 8 kHz mono samples.
pub fn read_wav_8k_mono(path: &Path) -> Result<Vec<i16>, WavError> {
    read_wav(path).map(|a| a.samples)
}

/// Reads WAV data from memory (errors name it `<memory>`).
pub fn read_wav_bytes(bytes: &[u8]) -> Result<WavAudio, WavError> {
    let path = Path::new("<memory>");
    let reader = WavReader::new(Cursor::new(bytes)).map_err(|e| WavError::from_hound(path, e))?;
    convert(reader, path)
}

fn convert<R: Read>(mut reader: WavReader<R>, path: &Path) -> Result<WavAudio, WavError> {
    let spec = reader.spec();
    let source = SourceFormat {
        channels: spec.channels,
        sample_rate: spec.sample_rate,
        bits_per_sample: spec.bits_per_sample,
        float: spec.sample_format == SampleFormat::Float,
    };
    let unsupported = |reason: String| WavError::Unsupported { path: path.to_path_buf(), reason };
    if spec.sample_rate == 0 {
        return Err(unsupported("sample rate 0".into()));
    }
    if spec.channels == 0 {
        return Err(unsupported("no channels".into()));
    }
    let seconds = u64::from(reader.duration()) / u64::from(spec.sample_rate);
    if seconds > MAX_SECONDS {
        return Err(WavError::TooLong { path: path.to_path_buf(), seconds });
    }
    let bits = spec.bits_per_sample;
    let interleaved: Vec<i16> = match (spec.sample_format, bits) {
        (SampleFormat::Int, 8 | 16 | 24 | 32) => reader
            .samples::<i32>()
            .map(|s| s.map(|v| int_to_i16(v, bits)))
            .collect::<Result<_, _>>()
            .map_err(|e| WavError::from_hound(path, e))?,
        (SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .map(|s| s.map(float_to_i16))
            .collect::<Result<_, _>>()
            .map_err(|e| WavError::from_hound(path, e))?,
        (SampleFormat::Int, b) => return Err(unsupported(format!("{b}-bit integer PCM"))),
        (SampleFormat::Float, b) => return Err(unsupported(format!("{b}-bit float"))),
    };
    let mono = mix_to_mono(&interleaved, usize::from(spec.channels));
    let samples = resample_linear(&mono, spec.sample_rate, TARGET_RATE);
    Ok(WavAudio { samples, source })
}

/// A `bits`-bit integer sample scaled to 16 bits (8-bit: ×256; 24/32-bit: top 16 bits).
fn int_to_i16(v: i32, bits: u16) -> i16 {
    let scaled = if bits >= 16 { v >> (bits - 16).min(31) } else { v << (16 - bits) };
    scaled.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// A float sample in −1…1 scaled to 16 bits, clipped; NaN becomes 0.
fn float_to_i16(v: f32) -> i16 {
    if v.is_nan() { 0 } else { (f64::from(v) * 32767.0).round().clamp(-32768.0, 32767.0) as i16 }
}

/// Averages each group of `channels` interleaved samples into one (a trailing partial group
/// is dropped).
pub fn mix_to_mono(interleaved: &[i16], channels: usize) -> Vec<i16> {
    if channels <= 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|frame| {
            let sum: i64 = frame.iter().map(|&s| i64::from(s)).sum();
            (sum / channels as i64) as i16
        })
        .collect()
}

/// Resamples from `from` Hz to `to` Hz by linear interpolation between neighbouring samples.
/// Output sample `i` is taken at input position `i × from / to` (exact rational arithmetic);
/// the output has `⌊len × to / from⌋` samples. Equal rates, or a rate of 0, return a copy.
pub fn resample_linear(input: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || from == 0 || to == 0 {
        return input.to_vec();
    }
    let (from, to) = (u64::from(from), u64::from(to));
    let n_out = input.len() as u64 * to / from;
    (0..n_out)
        .map(|i| {
            let num = i * from;
            let idx = usize::try_from(num / to).unwrap_or(usize::MAX);
            let frac = (num % to) as f64 / to as f64;
            let a = input.get(idx).copied().unwrap_or(0);
            let b = input.get(idx.saturating_add(1)).copied().unwrap_or(a);
            (f64::from(a) + (f64::from(b) - f64::from(a)) * frac).round() as i16
        })
        .collect()
}

fn spec_8k_mono() -> WavSpec {
    WavSpec { channels: 1, sample_rate: TARGET_RATE, bits_per_sample: 16, sample_format: SampleFormat::Int }
}

fn write_to<W: Write + Seek>(writer: W, samples: &[i16]) -> Result<(), hound::Error> {
    let mut w = WavWriter::new(writer, spec_8k_mono())?;
    for &s in samples {
        w.write_sample(s)?;
    }
    w.finalize()
}

/// Writes 8 kHz mono 16-bit samples to `path` (created or truncated).
///
/// The file appears complete or not at all: the samples go to `<path>.part`, which is
/// renamed to `path` when written.
pub fn write_wav_8k_mono(path: &Path, samples: &[i16]) -> Result<(), WavError> {
    let bytes = wav_bytes_8k_mono(samples)?;
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = std::path::PathBuf::from(part);
    let io = |source| WavError::Io { path: path.to_path_buf(), source };
    std::fs::write(&part, bytes).map_err(io)?;
    std::fs::rename(&part, path).map_err(io)
}

/// The bytes of an 8 kHz mono 16-bit WAV file holding `samples`.
pub fn wav_bytes_8k_mono(samples: &[i16]) -> Result<Vec<u8>, WavError> {
    let mut cursor = Cursor::new(Vec::new());
    write_to(&mut cursor, samples).map_err(|e| WavError::from_hound(Path::new("<memory>"), e))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn wav_with(spec: WavSpec, write: impl FnOnce(&mut WavWriter<&mut Cursor<Vec<u8>>>)) -> Vec<u8> {
        let mut cursor = Cursor::new(Vec::new());
        let mut w = WavWriter::new(&mut cursor, spec).unwrap();
        write(&mut w);
        w.finalize().unwrap();
        cursor.into_inner()
    }

    #[test]
    fn round_trip_in_memory() {
        let samples: Vec<i16> = (0..1000).map(|i| ((i * 37) % 65536 - 32768) as i16).collect();
        let bytes = wav_bytes_8k_mono(&samples).unwrap();
        let back = read_wav_bytes(&bytes).unwrap();
        assert_eq!(back.samples, samples);
        assert_eq!(
            back.source,
            SourceFormat { channels: 1, sample_rate: 8000, bits_per_sample: 16, float: false }
        );
    }

    #[test]
    fn eight_bit_and_float_are_scaled() {
        let spec =
            WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 8, sample_format: SampleFormat::Int };
        let b = wav_with(spec, |w| {
            for s in [-128i8, 0, 127] {
                w.write_sample(s).unwrap();
            }
        });
        assert_eq!(read_wav_bytes(&b).unwrap().samples, vec![-32768, 0, 32512]);
        let spec = WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 32,
            sample_format: SampleFormat::Float,
        };
        let b = wav_with(spec, |w| {
            for s in [-1.0f32, 0.5, 2.0, f32::NAN] {
                w.write_sample(s).unwrap();
            }
        });
        assert_eq!(read_wav_bytes(&b).unwrap().samples, vec![-32767, 16384, 32767, 0]);
        let spec =
            WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 24, sample_format: SampleFormat::Int };
        let b = wav_with(spec, |w| w.write_sample(0x12_3456i32).unwrap());
        assert_eq!(read_wav_bytes(&b).unwrap().samples, vec![0x1234]);
    }

    #[test]
    fn stereo_is_averaged_and_rates_converted() {
        assert_eq!(mix_to_mono(&[100, 300, -5, -7, 9], 2), vec![200, -6]);
        assert_eq!(resample_linear(&[0, 10, 20, 30], 16000, 8000), vec![0, 20]);
        assert_eq!(resample_linear(&[0, 10, 20], 4000, 8000), vec![0, 5, 10, 15, 20, 20]);
        assert_eq!(resample_linear(&[1, 2, 3], 8000, 8000), vec![1, 2, 3]);
        assert_eq!(resample_linear(&[1, 2, 3], 0, 8000), vec![1, 2, 3]);
    }

    #[test]
    fn errors_are_typed() {
        let missing = Path::new("/nonexistent/dir/x.wav");
        assert!(matches!(read_wav(missing), Err(WavError::NotFound { .. })));
        assert!(matches!(read_wav_bytes(b"RIFF\x04\0\0\0JUNK"), Err(WavError::Malformed { .. })));
        assert!(matches!(read_wav_bytes(b""), Err(WavError::Malformed { .. })));
        let msg = read_wav(missing).unwrap_err().to_string();
        assert!(msg.contains("x.wav") && msg.contains("no such file"), "{msg}");
        assert!(matches!(
            write_wav_8k_mono(Path::new("/nonexistent/dir/out.wav"), &[0]),
            Err(WavError::Io { .. })
        ));
    }
}
