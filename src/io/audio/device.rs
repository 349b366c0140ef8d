//! Finding and describing audio devices.

use super::quiet::Quiet;
use super::{AudioError, Direction};
use cpal::traits::{DeviceTrait, HostTrait};
use cpal::{
    BufferSize, DeviceDirection, SampleFormat, StreamConfig, SupportedBufferSize, SupportedStreamConfig,
};

/// One device as the audio host reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The audio host (backend), e.g. `ALSA`.
    pub host: String,
    /// The stable id, e.g. `alsa:default` or `alsa:hw:CARD=0,DEV=0`; [`super::open`] takes it.
    pub id: String,
    /// A human-readable name.
    pub name: String,
    /// Further description lines from the backend.
    pub details: Vec<String>,
    /// The host's default input device.
    pub default_input: bool,
    /// The host's default output device.
    pub default_output: bool,
    /// The default capture configuration, or why there is none.
    pub input: Result<StreamInfo, AudioError>,
    /// The default playback configuration, or why there is none.
    pub output: Result<StreamInfo, AudioError>,
}

/// A device's configuration in one direction.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StreamInfo {
    /// The default rate, in Hz.
    pub rate: u32,
    /// The default channel count.
    pub channels: u16,
    /// The default sample format (`i16`, `f32`, …).
    pub format: String,
    /// The lowest and highest rates any supported configuration allows.
    pub rates: (u32, u32),
    /// The fewest and most channels any supported configuration has.
    pub channel_range: (u16, u16),
}

/// Every device the default audio host knows, its default devices first.
///
/// Fails only when the host cannot enumerate at all; a device that cannot be opened is
/// listed with the reason in [`DeviceInfo::input`] / [`DeviceInfo::output`].
pub fn list_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let host = cpal::default_host();
    let host_name = host.id().name().to_owned();
    let quiet = Quiet::new();
    let enumerated = host
        .devices()
        .map_err(|e| AudioError::from_cpal(&e, &host_name, Direction::Output, quiet.last_message()))?;
    let default_in = host.default_input_device();
    let default_out = host.default_output_device();
    let mut devices: Vec<cpal::Device> = Vec::new();
    for device in default_out.iter().chain(default_in.iter()).cloned().chain(enumerated) {
        if !devices.contains(&device) {
            devices.push(device);
        }
    }
    Ok(devices
        .iter()
        .map(|d| describe(d, &host_name, default_in.as_ref() == Some(d), default_out.as_ref() == Some(d)))
        .collect())
}

/// Why the machine has no usable sound card, judging by `devices` (from [`list_devices`]):
/// `None` when a default device opens in at least one direction.
pub fn headless_reason(devices: &[DeviceInfo]) -> Option<AudioError> {
    let defaults = || devices.iter().filter(|d| d.default_input || d.default_output);
    if defaults().any(|d| d.input.is_ok() || d.output.is_ok()) {
        return None;
    }
    let first_error = defaults().find_map(|d| d.output.clone().err().or_else(|| d.input.clone().err()));
    Some(first_error.unwrap_or(AudioError::NoDevice { direction: Direction::Output }))
}

fn describe(device: &cpal::Device, host: &str, default_input: bool, default_output: bool) -> DeviceInfo {
    let id = device_id(device);
    let description = device.description().ok();
    let name = description.as_ref().map_or_else(|| id.clone(), |d| d.name().to_owned());
    let details: Vec<String> = description
        .as_ref()
        .map(|d| d.extended().filter(|l| *l != name).map(str::to_owned).collect())
        .unwrap_or_default();
    let direction = description.as_ref().map_or(DeviceDirection::Unknown, |d| d.direction());
    let probe = |dir: Direction| {
        let excluded = match dir {
            Direction::Input => direction == DeviceDirection::Output,
            Direction::Output => direction == DeviceDirection::Input,
        };
        if excluded {
            return Err(AudioError::UnsupportedConfig {
                name: id.clone(),
                direction: dir,
                reason: format!("{dir} is not supported"),
            });
        }
        stream_info(device, &id, dir)
    };
    DeviceInfo {
        host: host.to_owned(),
        id: id.clone(),
        name,
        details,
        default_input,
        default_output,
        input: probe(Direction::Input),
        output: probe(Direction::Output),
    }
}

/// The id a device is listed and opened by (`alsa:default`); its name if it has none.
pub(super) fn device_id(device: &cpal::Device) -> String {
    device.id().map(|id| id.to_string()).unwrap_or_else(|_| device.to_string())
}

fn stream_info(device: &cpal::Device, id: &str, direction: Direction) -> Result<StreamInfo, AudioError> {
    let config = default_config(device, id, direction)?;
    let quiet = Quiet::new();
    let ranges: Vec<cpal::SupportedStreamConfigRange> = match direction {
        Direction::Input => device.supported_input_configs().map(Iterator::collect),
        Direction::Output => device.supported_output_configs().map(Iterator::collect),
    }
    .unwrap_or_default();
    drop(quiet);
    let fewest = ranges.iter().map(|r| r.channels()).min().unwrap_or(config.channels());
    let most = ranges.iter().map(|r| r.channels()).max().unwrap_or(config.channels());
    let low = ranges.iter().map(|r| r.min_sample_rate()).min().unwrap_or(config.sample_rate());
    let high = ranges.iter().map(|r| r.max_sample_rate()).max().unwrap_or(config.sample_rate());
    Ok(StreamInfo {
        rate: config.sample_rate(),
        channels: config.channels(),
        format: config.sample_format().to_string(),
        rates: (low, high),
        channel_range: (fewest, most),
    })
}

/// The device's default configuration for `direction`, with ALSA kept quiet.
fn default_config(
    device: &cpal::Device,
    id: &str,
    direction: Direction,
) -> Result<SupportedStreamConfig, AudioError> {
    let quiet = Quiet::new();
    match direction {
        Direction::Input => device.default_input_config(),
        Direction::Output => device.default_output_config(),
    }
    .map_err(|e| AudioError::from_cpal(&e, id, direction, quiet.last_message()))
}

/// The device `spec` names for `direction` (`None`: the host's default). `spec` may be the
/// id as listed (`alsa:hw:CARD=0,DEV=0`), the id without its host (`hw:CARD=0,DEV=0`,
/// `default`, `null`) or the name (any case).
pub(super) fn find(spec: Option<&str>, direction: Direction) -> Result<cpal::Device, AudioError> {
    let host = cpal::default_host();
    let quiet = Quiet::new();
    let Some(spec) = spec.map(str::trim).filter(|s| !s.is_empty()) else {
        let default = match direction {
            Direction::Input => host.default_input_device(),
            Direction::Output => host.default_output_device(),
        };
        return default.ok_or(AudioError::NoDevice { direction });
    };
    let defaults = [host.default_input_device(), host.default_output_device()];
    let listed =
        host.devices().map_err(|e| AudioError::from_cpal(&e, spec, direction, quiet.last_message()))?;
    let candidates: Vec<cpal::Device> = defaults.into_iter().flatten().chain(listed).collect();
    let by_id = candidates.iter().find(|d| {
        let id = device_id(d);
        id == spec || d.id().is_ok_and(|i| i.id() == spec)
    });
    let by_name =
        || candidates.iter().find(|d| d.description().is_ok_and(|x| x.name().eq_ignore_ascii_case(spec)));
    by_id.or_else(by_name).cloned().ok_or_else(|| AudioError::NotFound { spec: spec.to_owned() })
}

/// The configuration to open `device` with: its default one when that is i16 or f32,
/// otherwise a supported i16/f32 one at the default rate and channel count (the callbacks
/// convert only those two formats). Asks for a 10 ms device buffer when the device allows it.
pub(super) fn choose_config(
    device: &cpal::Device,
    id: &str,
    direction: Direction,
) -> Result<(StreamConfig, SampleFormat), AudioError> {
    let default = default_config(device, id, direction)?;
    let usable = |f: SampleFormat| matches!(f, SampleFormat::I16 | SampleFormat::F32);
    let chosen = if usable(default.sample_format()) {
        default
    } else {
        let quiet = Quiet::new();
        let ranges: Vec<cpal::SupportedStreamConfigRange> = match direction {
            Direction::Input => device.supported_input_configs().map(Iterator::collect),
            Direction::Output => device.supported_output_configs().map(Iterator::collect),
        }
        .map_err(|e| AudioError::from_cpal(&e, id, direction, quiet.last_message()))?;
        let rate = default.sample_rate();
        ranges
            .into_iter()
            .filter(|r| usable(r.sample_format()) && r.channels() == default.channels())
            .find_map(|r| r.try_with_sample_rate(rate))
            .ok_or_else(|| AudioError::UnsupportedConfig {
                name: id.to_owned(),
                direction,
                reason: format!(
                    "its {} samples at {rate} Hz have no 16-bit or float variant",
                    default.sample_format()
                ),
            })?
    };
    let ten_ms = chosen.sample_rate() / 100;
    let buffer_size = match chosen.buffer_size() {
        SupportedBufferSize::Range { min, max } if (*min..=*max).contains(&ten_ms) => {
            BufferSize::Fixed(ten_ms)
        }
        _ => BufferSize::Default,
    };
    let config = StreamConfig { buffer_size, ..chosen.config() };
    Ok((config, chosen.sample_format()))
}
