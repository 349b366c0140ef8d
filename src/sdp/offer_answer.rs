//! RFC 3264 offer/answer for one audio stream: G.711 (PCMU, PCMA), Opus (RFC 7587) and
//! RFC 4733 telephone-event.
//!
//! Pure: the session id and version, the address (after the caller applied the NAT rules)
//! and the RTP port come in through [`LocalMedia`].

use std::net::{IpAddr, SocketAddr};

use crate::config::phone::MediaConfig;
use crate::config::value::{Codec, DtmfOutOfBand};
use crate::media::g711::Law;

use super::attribute::Direction;
use super::model::{Attribute, Connection, MediaDescription, Origin, SessionDescription, Timing};

/// The session name a Cisco 7940 writes in `s=`.
pub const SESSION_NAME: &str = "SIP Call";

/// The telephone events we send and receive: DTMF 0-9 * # A-D (0..=15) and flash (16).
pub const TELEPHONE_EVENTS: &str = "0-16";

/// The packet time we send and ask for, in milliseconds.
pub const DEFAULT_PTIME: u32 = 20;

/// The dynamic payload type we offer Opus on, unless `dtmf_avt_payload` has it.
pub const OPUS_PAYLOAD_TYPE: u8 = 111;

/// The payload type we offer Opus on when `dtmf_avt_payload` is [`OPUS_PAYLOAD_TYPE`].
pub const OPUS_FALLBACK_PAYLOAD_TYPE: u8 = 112;

/// Our `a=fmtp` for Opus (RFC 7587 §6.1): we play back at 8 kHz, mono, and our decoder
/// uses in-band FEC.
pub const OPUS_FMTP: &str = "maxplaybackrate=8000;stereo=0;useinbandfec=1";

/// An audio codec sip7940 implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AudioCodec {
    /// G.711 µ-law, static payload type 0 (RFC 3551).
    Pcmu,
    /// G.711 A-law, static payload type 8 (RFC 3551).
    Pcma,
    /// Opus (RFC 7587) on a dynamic payload type, 48 kHz RTP clock; sip7940 encodes and
    /// plays it at 8 kHz mono.
    Opus,
}

impl AudioCodec {
    /// Every codec we implement.
    pub const ALL: [AudioCodec; 3] = [AudioCodec::Pcmu, AudioCodec::Pcma, AudioCodec::Opus];

    /// The static payload type (0 or 8); `None` for Opus, whose number is dynamic.
    pub const fn static_payload_type(self) -> Option<u8> {
        match self {
            AudioCodec::Pcmu => Some(0),
            AudioCodec::Pcma => Some(8),
            AudioCodec::Opus => None,
        }
    }

    /// The encoding name in `a=rtpmap`.
    pub const fn encoding_name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU",
            AudioCodec::Pcma => "PCMA",
            AudioCodec::Opus => "opus",
        }
    }

    /// The RTP clock rate in Hz (8000 for G.711, 48000 for Opus whatever it carries).
    pub const fn clock_rate(self) -> u32 {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => 8000,
            AudioCodec::Opus => 48000,
        }
    }

    /// The channel count written in `a=rtpmap` (Opus is always `/2`, RFC 7587 §7).
    pub const fn rtpmap_channels(self) -> Option<u16> {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => None,
            AudioCodec::Opus => Some(2),
        }
    }

    /// The `a=fmtp` parameters we write for this codec.
    pub const fn fmtp(self) -> Option<&'static str> {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => None,
            AudioCodec::Opus => Some(OPUS_FMTP),
        }
    }

    /// The G.711 law to encode and decode with; `None` for Opus.
    pub const fn law(self) -> Option<Law> {
        match self {
            AudioCodec::Pcmu => Some(Law::Ulaw),
            AudioCodec::Pcma => Some(Law::Alaw),
            AudioCodec::Opus => None,
        }
    }

    /// The name in reports: `PCMU/8000`, `PCMA/8000`, `opus/48000/2`.
    pub const fn display_name(self) -> &'static str {
        match self {
            AudioCodec::Pcmu => "PCMU/8000",
            AudioCodec::Pcma => "PCMA/8000",
            AudioCodec::Opus => "opus/48000/2",
        }
    }

    /// Whether an `a=rtpmap` stands for this codec: the name case-insensitively, the clock
    /// rate, and mono for G.711 or the mandatory `/2` for Opus.
    fn matches(self, rtpmap: &super::attribute::Rtpmap<'_>) -> bool {
        match self {
            AudioCodec::Pcmu | AudioCodec::Pcma => rtpmap.is(self.encoding_name(), self.clock_rate()),
            AudioCodec::Opus => {
                rtpmap.encoding.eq_ignore_ascii_case("opus")
                    && rtpmap.clock_rate == 48000
                    && rtpmap.channels == Some(2)
            }
        }
    }

    /// The order we offer in for a `preferred_codec`: G.711 first unless `opus` is
    /// preferred (G.729a and `none` fall back to µ-law first, since G.729a is not
    /// implemented); Opus is always offered, after G.711 by default.
    pub const fn offer_order(preferred: Codec) -> [AudioCodec; 3] {
        use AudioCodec::{Opus, Pcma, Pcmu};
        match preferred {
            Codec::G711Alaw => [Pcma, Pcmu, Opus],
            Codec::Opus => [Opus, Pcmu, Pcma],
            Codec::G711Ulaw | Codec::G729a | Codec::None => [Pcmu, Pcma, Opus],
        }
    }
}

/// Our side of the session: everything an offer or answer needs that is not in the peer's SDP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalMedia {
    /// `o=` user name (a 7940 writes `Cisco-SIPUA`).
    pub username: String,
    /// `o=` session id, chosen once per call by the caller.
    pub session_id: u64,
    /// `o=` session version; see [`LocalSession`].
    pub session_version: u64,
    /// The address for `o=` and `c=` (the NAT address when `nat_enable` applies).
    pub address: IpAddr,
    /// Our RTP port (even; RTCP is the next one).
    pub rtp_port: u16,
    /// `preferred_codec`: the order of the offer.
    pub preferred_codec: Codec,
    /// The telephone-event payload type we offer (`dtmf_avt_payload`), or `None` when
    /// `dtmf_outofband` is `none`; in an answer only its presence matters.
    pub telephone_event: Option<u8>,
    /// What we are willing to do: `SendRecv`, `SendOnly` (we hold) or `Inactive`.
    pub direction: Direction,
    /// Packet time in milliseconds.
    pub ptime: u32,
}

impl LocalMedia {
    /// Local media from the phone's codec/DTMF configuration, sending and receiving.
    pub fn from_config(
        config: &MediaConfig,
        address: IpAddr,
        rtp_port: u16,
        session_id: u64,
        session_version: u64,
    ) -> Self {
        LocalMedia {
            username: "Cisco-SIPUA".to_owned(),
            session_id,
            session_version,
            address,
            rtp_port,
            preferred_codec: config.preferred_codec,
            telephone_event: match config.dtmf_outofband {
                DtmfOutOfBand::None => None,
                DtmfOutOfBand::Avt | DtmfOutOfBand::AvtAlways => Some(config.dtmf_avt_payload),
            },
            direction: Direction::SendRecv,
            ptime: DEFAULT_PTIME,
        }
    }

    /// The payload type we offer `codec` on: its static number, or for Opus
    /// [`OPUS_PAYLOAD_TYPE`] unless telephone-event has it.
    pub fn payload_type(&self, codec: AudioCodec) -> u8 {
        codec.static_payload_type().unwrap_or(if self.telephone_event == Some(OPUS_PAYLOAD_TYPE) {
            OPUS_FALLBACK_PAYLOAD_TYPE
        } else {
            OPUS_PAYLOAD_TYPE
        })
    }

    fn session(&self, media: Vec<MediaDescription>) -> SessionDescription {
        SessionDescription {
            origin: Origin {
                username: self.username.clone(),
                session_id: self.session_id.to_string(),
                session_version: self.session_version.to_string(),
                net_type: "IN".to_owned(),
                addr_type: super::model::AddrType::of(self.address),
                address: self.address.to_string(),
            },
            session_name: SESSION_NAME.to_owned(),
            connection: Some(Connection::unicast(self.address)),
            bandwidths: Vec::new(),
            timings: vec![Timing::permanent()],
            attributes: Vec::new(),
            extra: Vec::new(),
            media,
        }
    }

    fn audio(
        &self,
        codecs: &[(AudioCodec, u8)],
        telephone_event: Option<u8>,
        direction: Direction,
    ) -> MediaDescription {
        let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
        formats.extend(telephone_event.map(|pt| pt.to_string()));
        let mut m = MediaDescription::new("audio", self.rtp_port, "RTP/AVP", formats);
        for &(codec, pt) in codecs {
            let (name, rate, channels) = (codec.encoding_name(), codec.clock_rate(), codec.rtpmap_channels());
            m.attributes.push(Attribute::rtpmap(pt, name, rate, channels));
            m.attributes.extend(codec.fmtp().map(|params| Attribute::fmtp(pt, params)));
        }
        if let Some(pt) = telephone_event {
            m.attributes.push(Attribute::rtpmap(pt, "telephone-event", 8000, None));
            m.attributes.push(Attribute::fmtp(pt, TELEPHONE_EVENTS));
        }
        m.attributes.push(Attribute::with_value("ptime", self.ptime.to_string()));
        m.attributes.push(Attribute::direction(direction));
        m
    }
}

/// Builds our offer: one `m=audio` with PCMU, PCMA and Opus in the preferred order, then
/// telephone-event when enabled, each with its `a=rtpmap` (and Opus with its `a=fmtp`).
pub fn make_offer(local: &LocalMedia) -> SessionDescription {
    let codecs = AudioCodec::offer_order(local.preferred_codec).map(|c| (c, local.payload_type(c)));
    local.session(vec![local.audio(&codecs, local.telephone_event, local.direction)])
}

/// Why an offer cannot be answered; every case is a **488 Not Acceptable Here**.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// No audio stream with a non-zero port.
    #[error("no audio stream offered")]
    NoAudio,
    /// Audio is offered, but only over protocols other than RTP/AVP (e.g. SRTP).
    #[error("audio offered only over unsupported transport protocols")]
    UnsupportedProto,
    /// RTP/AVP audio is offered, but without PCMU, PCMA or Opus.
    #[error("no common audio codec")]
    NoCommonCodec,
}

impl AnswerError {
    /// The SIP status code to reject the offer with: 488.
    pub const fn status_code(self) -> u16 {
        488
    }
}

/// Which of our codecs a payload type of `m` stands for: by `a=rtpmap` (name
/// case-insensitive; 8000 Hz mono for G.711, `opus/48000/2`), or by static number 0/8
/// when there is no rtpmap.
fn codec_of(m: &MediaDescription, pt: u8) -> Option<AudioCodec> {
    match m.rtpmap(pt) {
        Some(r) => AudioCodec::ALL.into_iter().find(|c| c.matches(&r)),
        None => AudioCodec::ALL.into_iter().find(|c| c.static_payload_type() == Some(pt)),
    }
}

/// Whether `m`'s `a=fmtp` for `pt` says `useinbandfec=1` (RFC 7587 §6.1: the sender of
/// that description decodes in-band FEC).
fn uses_inband_fec(m: &MediaDescription, pt: u8) -> bool {
    m.fmtp(pt).is_some_and(|f| {
        f.params.split(';').any(|p| {
            p.split_once('=')
                .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("useinbandfec") && v.trim() == "1")
        })
    })
}

/// The first codec of `m` (in its order) we support, with its payload type.
fn first_codec(m: &MediaDescription) -> Option<(AudioCodec, u8)> {
    m.payload_types().find_map(|pt| codec_of(m, pt).map(|c| (c, pt)))
}

/// The codec we answer `m` with: the first G.711 codec in the offer's order — G.711 stays
/// what the phone speaks — unless `preferred_codec` is `opus` and Opus is offered; Opus
/// when it is all the offer has in common with us.
fn answer_codec(m: &MediaDescription, local: &LocalMedia) -> Option<(AudioCodec, u8)> {
    let offered = || m.payload_types().filter_map(|pt| codec_of(m, pt).map(|c| (c, pt)));
    let opus = || offered().find(|(c, _)| *c == AudioCodec::Opus);
    let g711 = || offered().find(|(c, _)| *c != AudioCodec::Opus);
    if local.preferred_codec == Codec::Opus { opus().or_else(g711) } else { g711().or_else(opus) }
}

/// The payload type of `telephone-event/8000` in `m`, if listed.
fn telephone_event_of(m: &MediaDescription) -> Option<u8> {
    m.payload_types().find(|pt| m.rtpmap(*pt).is_some_and(|r| r.is("telephone-event", 8000)))
}

/// A rejected copy of an offered stream (port 0, same media, proto and formats).
fn rejected(m: &MediaDescription) -> MediaDescription {
    MediaDescription::new(&m.media, 0, &m.proto, m.formats.clone())
}

/// Answers an offer (RFC 3264 §6): accepts the first RTP/AVP audio stream that has a codec
/// we support, picking the first such codec in the offer's order with the offer's payload
/// number, plus telephone-event when both sides have it; rejects every other stream with
/// port 0 (same count and order of m-lines); mirrors the direction, restricted by ours.
pub fn answer(offer: &SessionDescription, local: &LocalMedia) -> Result<SessionDescription, AnswerError> {
    let mut chosen = None;
    let mut seen_audio = false;
    let mut seen_avp = false;
    for (i, m) in offer.media.iter().enumerate() {
        if !m.is_audio() || m.port == 0 {
            continue;
        }
        seen_audio = true;
        if !m.is_rtp_avp() {
            continue;
        }
        seen_avp = true;
        if let Some(codec) = answer_codec(m, local) {
            chosen = Some((i, codec));
            break;
        }
    }
    let Some((index, codec)) = chosen else {
        return Err(if seen_avp {
            AnswerError::NoCommonCodec
        } else if seen_audio {
            AnswerError::UnsupportedProto
        } else {
            AnswerError::NoAudio
        });
    };
    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i != index {
                return rejected(m);
            }
            // The offer's number for telephone-event (RFC 3264 §6.1: answer with the same
            // payload type numbers).
            let te = local.telephone_event.and_then(|_| telephone_event_of(m));
            let direction =
                offer.media_direction(i).unwrap_or(Direction::SendRecv).reversed().intersect(local.direction);
            local.audio(&[codec], te, direction)
        })
        .collect();
    Ok(local.session(media))
}

/// The media a call runs with, from our SDP and the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Media {
    /// The codec.
    pub codec: AudioCodec,
    /// The payload type to send it with (the peer's number).
    pub payload_type: u8,
    /// The payload type the peer sends it with (our number; the same unless the peer
    /// renumbered it in its answer).
    pub receive_payload_type: u8,
    /// Opus: the peer's `a=fmtp` has `useinbandfec=1`, so our encoder adds in-band FEC.
    pub opus_fec: bool,
    /// The telephone-event payload type to send with (the peer's number), when both sides
    /// have it.
    pub dtmf_payload: Option<u8>,
    /// The telephone-event payload type the peer sends us with (our number), when both
    /// sides have it.
    pub receive_dtmf_payload: Option<u8>,
    /// Where to send RTP: the peer's `c=` (media level wins) and `m=` port.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP: `a=rtcp`, else the RTP port + 1.
    pub remote_rtcp: SocketAddr,
    /// What we may do: send if we and the peer allow it and the peer's address is not
    /// `0.0.0.0` and its port not 0; receive if we and the peer allow it.
    pub direction: Direction,
    /// Packet time to send with: the peer's `a=ptime` if in 10..=60 ms, else ours.
    pub ptime: u32,
}

/// Why no media could be agreed from two descriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// Our description has no accepted audio stream with a codec we support.
    #[error("no accepted audio stream in our description")]
    NoLocalAudio,
    /// The peer's description has no m-line at the index of our audio stream.
    #[error("the peer's description lacks our audio stream")]
    MissingRemoteStream,
    /// The peer's audio stream has no codec that is also in ours.
    #[error("no common audio codec")]
    NoCommonCodec,
    /// The peer's connection address is missing or not an IP address.
    #[error("the peer's connection address is missing or not an IP address")]
    NoRemoteAddress,
}

/// The agreed media of an offer/answer exchange. `local` is what we sent (offer or answer),
/// `remote` what the peer sent; audio streams correspond by m-line index.
///
/// The codec is the first one in the peer's list that is also in ours (for a peer's answer
/// that is its choice; for our answer it is the one we picked, numbered as in the offer).
pub fn negotiated(
    local: &SessionDescription,
    remote: &SessionDescription,
) -> Result<Media, NegotiationError> {
    let (index, ours) = local
        .media
        .iter()
        .enumerate()
        .find(|(_, m)| m.is_audio() && m.port != 0 && first_codec(m).is_some())
        .ok_or(NegotiationError::NoLocalAudio)?;
    let theirs = remote.media.get(index).ok_or(NegotiationError::MissingRemoteStream)?;
    let our_codecs: Vec<AudioCodec> = ours.payload_types().filter_map(|pt| codec_of(ours, pt)).collect();
    let (codec, payload_type) = theirs
        .payload_types()
        .find_map(|pt| codec_of(theirs, pt).filter(|c| our_codecs.contains(c)).map(|c| (c, pt)))
        .ok_or(NegotiationError::NoCommonCodec)?;
    let receive_payload_type =
        ours.payload_types().find(|pt| codec_of(ours, *pt) == Some(codec)).unwrap_or(payload_type);
    let opus_fec = codec == AudioCodec::Opus && uses_inband_fec(theirs, payload_type);
    let dtmf_payload = telephone_event_of(ours).and(telephone_event_of(theirs));
    let receive_dtmf_payload = telephone_event_of(theirs).and(telephone_event_of(ours));

    let connection = remote.media_connection(index).ok_or(NegotiationError::NoRemoteAddress)?;
    let ip = connection.ip().ok_or(NegotiationError::NoRemoteAddress)?;
    let remote_rtp = SocketAddr::new(ip, theirs.port);
    let remote_rtcp = match theirs.rtcp() {
        Some(rtcp) => {
            let rtcp_ip = rtcp.connection.as_ref().and_then(Connection::ip).unwrap_or(ip);
            SocketAddr::new(rtcp_ip, rtcp.port)
        }
        None => SocketAddr::new(ip, theirs.port.checked_add(1).unwrap_or(theirs.port)),
    };

    let our_direction = local.media_direction(index).unwrap_or(Direction::SendRecv);
    let their_direction = remote.media_direction(index).unwrap_or(Direction::SendRecv);
    let peer_reachable = theirs.port != 0 && !ip.is_unspecified();
    let direction = Direction::from_flags(
        our_direction.sends() && their_direction.receives() && peer_reachable,
        our_direction.receives() && their_direction.sends(),
    );
    let ptime =
        theirs.ptime().filter(|p| (10..=60).contains(p)).or_else(|| ours.ptime()).unwrap_or(DEFAULT_PTIME);
    Ok(Media {
        codec,
        payload_type,
        receive_payload_type,
        opus_fec,
        dtmf_payload,
        receive_dtmf_payload,
        remote_rtp,
        remote_rtcp,
        direction,
        ptime,
    })
}

/// Our session id and version across a call (RFC 3264 §8: every new offer or answer that
/// changes something carries the version + 1; one that repeats the last keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSession {
    /// `o=` session id, fixed for the call.
    pub id: u64,
    /// `o=` session version of the last description we sent.
    pub version: u64,
}

impl LocalSession {
    /// A session starting at `version` (the caller picks id and version, e.g. from its RNG).
    pub const fn new(id: u64, version: u64) -> Self {
        LocalSession { id, version }
    }

    /// The version for a changed description (re-offer, hold, resume): increments and
    /// returns the new version (wrapping at `u64::MAX`, which never happens in a call).
    pub fn next_version(&mut self) -> u64 {
        self.version = self.version.wrapping_add(1);
        self.version
    }
}

/// How a peer's new description relates to the previous one (RFC 3264 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteChange {
    /// There was no previous description.
    Initial,
    /// Same origin and same version: nothing changed, keep the media as it is.
    Unchanged,
    /// Same origin, another version: renegotiate.
    Modified,
    /// Another username, session id or address: a different session (not allowed within a
    /// dialog by RFC 3264; treat as a renegotiation and log it).
    Replaced,
}

/// Classifies the peer's new `o=` line against the previous one (versions compared as
/// written, so a peer that never changes a non-numeric version is always `Unchanged`).
pub fn classify_remote(previous: Option<&Origin>, current: &Origin) -> RemoteChange {
    match previous {
        None => RemoteChange::Initial,
        Some(p) if !p.same_session(current) => RemoteChange::Replaced,
        Some(p) if p.session_version == current.session_version => RemoteChange::Unchanged,
        Some(_) => RemoteChange::Modified,
    }
}
