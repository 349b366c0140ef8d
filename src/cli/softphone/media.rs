//! Each call's media at the softphone: the RTP socket pair bound before the offer or
//! answer goes out, the media task started when the call agrees on media (and updated on
//! hold, resume or a new codec), its figures for `call_stats : 1`, DTMF, and its report and
//! recording when the call ends.

use super::super::boot::Outgoing;
use crate::config::PhoneConfig;
use crate::io::clock::time_of_day;
use crate::io::media_task::Audio;
use crate::io::media_task::{self, CallStats, MediaHandle, MediaReport, RtpSockets};
use crate::ua::call::CallId;
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;

/// What answered calls send and where recordings go (`--tone`/`--play`, `--audio`, `--record`).
#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// The tone or WAV file.
    pub outgoing: Outgoing,
    /// `--audio[=DEVICE]`.
    pub audio: Option<String>,
    /// `--record DIR`.
    pub record: Option<PathBuf>,
    /// `--ring FILE.wav`: the ringer, instead of the generated double ring.
    pub ring: Option<Vec<i16>>,
    /// Where RTP sockets are bound (`--bind`).
    pub bind: IpAddr,
}

/// The media of every call.
pub struct CallMedia {
    settings: MediaSettings,
    sockets: HashMap<CallId, RtpSockets>,
    running: HashMap<CallId, MediaHandle>,
}

impl CallMedia {
    /// No call yet.
    pub fn new(settings: MediaSettings) -> Self {
        Self { settings, sockets: HashMap::new(), running: HashMap::new() }
    }

    /// Binds an RTP/RTCP pair in the configured range; returns its RTP port. The pair is kept
    /// for the call with [`keep`](Self::keep).
    pub fn bind(&self, config: &PhoneConfig) -> std::io::Result<RtpSockets> {
        media_task::bind_rtp(self.settings.bind, config.nat.start_media_port, config.nat.end_media_port)
    }

    /// Keeps `sockets` for call `id` until its media starts.
    pub fn keep(&mut self, id: CallId, sockets: RtpSockets) {
        self.sockets.insert(id, sockets);
    }

    /// Whether call `id`'s media is yet to start (its sockets wait): then
    /// [`on_media`](Self::on_media) needs the call's audio.
    pub fn needs_audio(&self, id: CallId) -> bool {
        self.sockets.contains_key(&id) && !self.running.contains_key(&id)
    }

    /// What calls send when headless (`--tone`/`--play`).
    pub fn outgoing(&self) -> &Outgoing {
        &self.settings.outgoing
    }

    /// The call agreed on media: start its task with `audio` (see
    /// [`needs_audio`](Self::needs_audio)), or update the running one.
    pub fn on_media(
        &mut self,
        id: CallId,
        media: crate::sdp::Media,
        config: &PhoneConfig,
        audio: Option<Audio>,
    ) {
        if let Some(handle) = self.running.get(&id) {
            handle.update(media);
            return;
        }
        let Some(socket) = self.sockets.remove(&id) else { return };
        let Some(audio) = audio else { return };
        let options = media_task::MediaOptions {
            record: self.settings.record.is_some(),
            seed: id.0,
            cname: super::super::call::cname(config, 1),
            local_dtmf_payload: media.receive_dtmf_payload,
            symmetric_rtp: config.nat.symmetric_rtp,
            ..media_task::MediaOptions::default()
        };
        match media_task::spawn(socket, media, &config.media, audio, options) {
            Ok(handle) => {
                self.running.insert(id, handle);
            }
            Err(e) => eprintln!("{} call {}: no media: {e}", time_of_day(), id.0),
        }
    }

    /// Whether any call's media runs.
    pub fn any_running(&self) -> bool {
        !self.running.is_empty()
    }

    /// Sends DTMF digits in the call; false when it has no media.
    pub fn send_dtmf(&self, id: CallId, digits: &str) -> bool {
        self.running.get(&id).map(|h| h.send_dtmf(digits)).is_some()
    }

    /// The `RTP-RxStat`/`RTP-TxStat` figures of every running call.
    pub fn call_stats(&self) -> Vec<(CallId, CallStats)> {
        self.running.iter().filter_map(|(id, h)| Some((*id, h.call_stats()?))).collect()
    }

    /// The call ended: stop its media, and return the lines to print (digits received, the
    /// media figures) after writing the recording.
    pub async fn finish(&mut self, id: CallId) -> Vec<String> {
        self.sockets.remove(&id);
        let Some(handle) = self.running.remove(&id) else { return Vec::new() };
        let Some(report) = handle.finish().await else { return Vec::new() };
        self.report(id, &report)
    }

    /// Every call with media (for `reset` and the exit).
    pub fn calls(&self) -> Vec<CallId> {
        self.running.keys().chain(self.sockets.keys()).copied().collect()
    }

    fn report(&self, id: CallId, report: &MediaReport) -> Vec<String> {
        let mut lines = Vec::new();
        if !report.figures.digits.is_empty() {
            lines.push(format!(
                "{} call {}: digits received: {}",
                time_of_day(),
                id.0,
                report.figures.digits
            ));
        }
        lines.push(format!(
            "{} call {}: {}",
            time_of_day(),
            id.0,
            super::super::output::media_summary(&report.figures)
        ));
        if let Some(dir) = &self.settings.record {
            let path = dir.join(format!("call-{}.wav", id.0));
            if let Err(e) = crate::io::wav::write_wav_8k_mono(&path, &report.recorded) {
                lines.push(format!("sip7940 phone: cannot write {}: {e}", path.display()));
            }
        }
        lines
    }
}
