//! SDP: real-world samples, RFC 3264 offer/answer tables, property tests and a differential
//! check against sdp-rs 0.2 (with its known bugs as explicit exceptions).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use proptest::prelude::*;
use sip7940::config::phone::MediaConfig;
use sip7940::config::value::{Codec, DtmfOutOfBand};
use sip7940::sdp::{
    AddrType, AnswerError, Attribute, AudioCodec, Bandwidth, Connection, Direction, ErrorKind, LocalMedia,
    LocalSession, MediaDescription, NegotiationError, Origin, RawLine, RemoteChange, SessionDescription,
    Timing, TypedAttribute, answer, classify_remote, make_offer, negotiated, parse,
};

// ---------------------------------------------------------------------------------------------
// Samples (written for these tests in the shape each implementation sends)
// ---------------------------------------------------------------------------------------------

/// A Cisco 7940 (SIP firmware 8.x) offer: `o=Cisco-SIPUA`, `s=SIP Call`, media-level `c=`,
/// G.729 listed, telephone-event 0-15.
const CISCO_7940: &str = "v=0\r\n\
o=Cisco-SIPUA 8423 0 IN IP4 192.168.1.50\r\n\
s=SIP Call\r\n\
t=0 0\r\n\
m=audio 16384 RTP/AVP 0 8 18 101\r\n\
c=IN IP4 192.168.1.50\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:18 G729/8000\r\n\
a=fmtp:18 annexb=no\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=sendrecv\r\n";

/// A Cisco device's 200 OK body as seen in the wild: `(null)` session id and version,
/// G.729 first.
const CISCO_NULL_ORIGIN: &str = "v=0\r\n\
o=Cisco-SIPUA (null) (null) IN IP4 198.51.100.77\r\n\
s=SIP Call\r\n\
c=IN IP4 198.51.100.77\r\n\
t=0 0\r\n\
m=audio 18000 RTP/AVP 18 0 8\r\n\
a=rtpmap:18 G729/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n";

/// An offer as Asterisk (chan_pjsip) sends it: PCMA first, GSM, ptime/maxptime.
const ASTERISK: &str = "v=0\r\n\
o=- 1732094315 1732094315 IN IP4 203.0.113.10\r\n\
s=Asterisk\r\n\
c=IN IP4 203.0.113.10\r\n\
t=0 0\r\n\
m=audio 12000 RTP/AVP 8 0 3 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:3 GSM/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=maxptime:150\r\n\
a=sendrecv\r\n";

/// An offer after Kamailio + rtpengine: media-level c= of the relay, `a=rtcp`, rtpengine's
/// own attributes, `b=AS`.
const KAMAILIO_RTPENGINE: &str = "v=0\r\n\
o=- 3917365012 3917365013 IN IP4 10.0.0.7\r\n\
s=-\r\n\
c=IN IP4 10.0.0.7\r\n\
t=0 0\r\n\
m=audio 30000 RTP/AVP 0 101\r\n\
c=IN IP4 198.51.100.4\r\n\
b=AS:80\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=sendrecv\r\n\
a=rtcp:30003\r\n\
a=ptime:20\r\n";

/// baresip (1.x) with only the g711 module loaded. From its source: telephone-event on 101
/// with `a=fmtp:101 0-15`; `a=rtcp-rsize` when offering (RFC 5506); `a=ssrc:<n> cname:<c>`
/// (RFC 5576); `a=ptime:20`; libre writes `a=sendrecv`. `a=rtcp-mux` only with
/// `rtcp_mux yes` in its config (off by default), so not here.
const BARESIP: &str = "v=0\r\n\
o=- 1504729102 2882213712 IN IP4 192.0.2.20\r\n\
s=-\r\n\
c=IN IP4 192.0.2.20\r\n\
t=0 0\r\n\
m=audio 10000 RTP/AVP 0 8 101\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n\
a=rtcp-rsize\r\n\
a=ssrc:3456789012 cname:7e2b1c5a-0f3d\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// A wideband softphone: opus/48000/2 first, a 48 kHz telephone-event, then G.711.
const OPUS_FIRST: &str = "v=0\r\n\
o=alice 2890844526 2890844527 IN IP4 192.0.2.30\r\n\
s=-\r\n\
c=IN IP4 192.0.2.30\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 111 110 8 0 101\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:110 telephone-event/48000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// IPv6 offer with telephone-event on 96.
const IPV6: &str = "v=0\r\n\
o=- 42 1 IN IP6 2001:db8::10\r\n\
s=-\r\n\
c=IN IP6 2001:db8::10\r\n\
t=0 0\r\n\
m=audio 5004 RTP/AVP 0 96\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:96 telephone-event/8000\r\n\
a=fmtp:96 0-15\r\n";

/// A re-INVITE that stops media both ways.
const INACTIVE: &str = "v=0\r\n\
o=- 100 2 IN IP4 192.0.2.40\r\n\
s=-\r\n\
c=IN IP4 192.0.2.40\r\n\
t=0 0\r\n\
m=audio 20000 RTP/AVP 0 8\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=inactive\r\n";

/// Old-style hold (RFC 2543): c=0.0.0.0, no direction attribute.
const OLD_HOLD: &str = "v=0\r\n\
o=- 100 3 IN IP4 192.0.2.40\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n\
t=0 0\r\n\
m=audio 20000 RTP/AVP 0\r\n";

/// The last line has no line end (sdp-rs silently drops it).
const NO_TRAILING_CRLF: &str = "v=0\r\n\
o=- 7 7 IN IP4 192.0.2.50\r\n\
s=-\r\n\
c=IN IP4 192.0.2.50\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=recvonly";

/// The last line has no line end and is the media section's only attribute (sdp-rs refuses).
const NO_TRAILING_CRLF_SHORT: &str = "v=0\r\n\
o=- 7 8 IN IP4 192.0.2.50\r\n\
s=-\r\n\
c=IN IP4 192.0.2.50\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 8\r\n\
a=rtpmap:8 PCMA/8000";

/// Bare LF line ends.
const BARE_LF: &str = "v=0\n\
o=- 9 9 IN IP4 192.0.2.60\n\
s=-\n\
c=IN IP4 192.0.2.60\n\
t=0 0\n\
m=audio 7000 RTP/AVP 0 8 101\n\
a=rtpmap:101 telephone-event/8000\n\
a=fmtp:101 0-15\n\
a=sendonly\n";

fn sdp01_body() -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", "rfc4475", "sdp01.dat"].iter().collect();
    let raw = std::fs::read(p).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (_, body) = text.split_once("\r\n\r\n").unwrap();
    body.to_owned()
}

fn samples() -> Vec<(&'static str, String)> {
    vec![
        ("cisco7940", CISCO_7940.to_owned()),
        ("cisco_null_origin", CISCO_NULL_ORIGIN.to_owned()),
        ("asterisk", ASTERISK.to_owned()),
        ("kamailio_rtpengine", KAMAILIO_RTPENGINE.to_owned()),
        ("baresip", BARESIP.to_owned()),
        ("opus_first", OPUS_FIRST.to_owned()),
        ("ipv6", IPV6.to_owned()),
        ("inactive", INACTIVE.to_owned()),
        ("old_hold", OLD_HOLD.to_owned()),
        ("no_trailing_crlf", NO_TRAILING_CRLF.to_owned()),
        ("no_trailing_crlf_short", NO_TRAILING_CRLF_SHORT.to_owned()),
        ("bare_lf", BARE_LF.to_owned()),
        ("rfc4475_sdp01", sdp01_body()),
    ]
}

fn sd(text: &str) -> SessionDescription {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

// ---------------------------------------------------------------------------------------------
// Parsing the samples
// ---------------------------------------------------------------------------------------------

#[test]
fn every_sample_parses_prints_canonically_and_round_trips() {
    for (name, text) in samples() {
        let parsed = sd(&text);
        let printed = parsed.to_string();
        assert!(printed.ends_with("\r\n"), "{name}");
        assert!(!printed.replace("\r\n", "").contains(['\r', '\n']), "{name}: bare line end");
        assert_eq!(sd(&printed), parsed, "{name}");
        // Already-canonical CRLF samples print back byte for byte.
        if text.contains("\r\n") && text.ends_with("\r\n") {
            assert_eq!(printed, text, "{name}");
        }
    }
}

#[test]
fn cisco_offer_fields() {
    let s = sd(CISCO_7940);
    assert_eq!(s.origin.username, "Cisco-SIPUA");
    assert_eq!(s.origin.session_id, "8423");
    assert_eq!(s.origin.session_version, "0");
    assert_eq!(s.origin.ip(), Some(v4(192, 168, 1, 50)));
    assert_eq!(s.session_name, "SIP Call");
    assert_eq!(s.connection, None);
    assert_eq!(s.media_connection(0).unwrap().ip(), Some(v4(192, 168, 1, 50)));
    assert_eq!(s.timings, vec![Timing::permanent()]);
    let m = &s.media[0];
    assert_eq!((m.media.as_str(), m.port, m.proto.as_str()), ("audio", 16384, "RTP/AVP"));
    assert_eq!(m.payload_types().collect::<Vec<_>>(), vec![0, 8, 18, 101]);
    assert_eq!(m.rtpmap(18).unwrap().encoding, "G729");
    assert_eq!(m.fmtp(18).unwrap().params, "annexb=no");
    assert_eq!(m.fmtp(101).unwrap().params, "0-15");
    assert_eq!(s.media_direction(0), Some(Direction::SendRecv));
}

#[test]
fn other_samples_fields() {
    let a = sd(ASTERISK);
    assert_eq!(a.media[0].ptime(), Some(20));
    assert_eq!(a.media[0].maxptime(), Some(150));

    let k = sd(KAMAILIO_RTPENGINE);
    assert_eq!(k.media_connection(0).unwrap().ip(), Some(v4(198, 51, 100, 4)));
    assert_eq!(k.media[0].bandwidths, vec![Bandwidth { kind: "AS".into(), value: 80 }]);
    assert_eq!(k.media[0].rtcp().unwrap().port, 30003);

    let b = sd(BARESIP);
    let names: Vec<&str> = b.media[0].attributes.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["rtpmap", "rtpmap", "rtpmap", "fmtp", "rtcp-rsize", "ssrc", "ptime", "sendrecv"]);
    assert_eq!(
        b.media[0].attribute("ssrc").unwrap().value.as_deref(),
        Some("3456789012 cname:7e2b1c5a-0f3d")
    );

    let o = sd(OPUS_FIRST);
    let opus = o.media[0].rtpmap(111).unwrap();
    assert_eq!((opus.encoding, opus.clock_rate, opus.channels), ("opus", 48000, Some(2)));
    assert!(o.to_string().contains("a=rtpmap:111 opus/48000/2\r\n"));

    let six = sd(IPV6);
    assert_eq!(six.origin.addr_type, AddrType::Ip6);
    assert_eq!(six.connection.as_ref().unwrap().ip(), Some("2001:db8::10".parse().unwrap()));

    assert_eq!(sd(INACTIVE).media_direction(0), Some(Direction::Inactive));
    assert!(sd(OLD_HOLD).connection.unwrap().is_unspecified());

    let n = sd(NO_TRAILING_CRLF);
    assert_eq!(n.media[0].attributes[1], Attribute::flag("recvonly"));
    assert_eq!(n.media_direction(0), Some(Direction::RecvOnly));
    let n = sd(NO_TRAILING_CRLF_SHORT);
    assert_eq!(n.media[0].attributes, vec![Attribute::with_value("rtpmap", "8 PCMA/8000")]);
    assert_eq!(sd(BARE_LF).media_direction(0), Some(Direction::SendOnly));

    let t = sd(&sdp01_body());
    assert_eq!(t.origin.username, "mhandley");
    assert_eq!(t.origin.version_number(), Some(7272939));

    let null = sd(CISCO_NULL_ORIGIN);
    assert_eq!((null.origin.session_id.as_str(), null.origin.version_number()), ("(null)", None));
    let ours = answer(&null, &local()).unwrap();
    assert_eq!(ours.media[0].formats, ["0"]);
    assert_eq!(negotiated(&ours, &null).unwrap().remote_rtp, SocketAddr::new(v4(198, 51, 100, 77), 18000));
    let kinds: Vec<(&str, u16)> = t.media.iter().map(|m| (m.media.as_str(), m.port)).collect();
    assert_eq!(kinds, [("audio", 49217), ("video", 3227)]);
    assert_eq!(t.media[1].rtpmap(31).map(|r| r.encoding), None, "`31 LPC` has no clock rate");
    assert!(t.media[1].attributes[0].typed().is_err());
}

#[test]
fn errors_have_line_numbers() {
    let e = parse(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio RTP/AVP 0\r\n").unwrap_err();
    assert_eq!((e.line, e.kind), (5, ErrorKind::BadMedia));
    assert_eq!(e.to_string(), "SDP line 5: malformed m= line");
    let e = parse(b"v=0\no=- 1 1 IN IP4 192.0.2.1\n\ns=-\nc=IN IP4 1.2.3.4/x\n").unwrap_err();
    assert_eq!((e.line, e.kind), (5, ErrorKind::BadConnection));
    let e = parse(b"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n").unwrap_err();
    assert_eq!((e.line, e.kind), (3, ErrorKind::MissingSessionName));
}

// ---------------------------------------------------------------------------------------------
// Offer / answer
// ---------------------------------------------------------------------------------------------

fn local() -> LocalMedia {
    LocalMedia::from_config(&MediaConfig::default(), v4(192, 0, 2, 100), 16384, 5000, 1)
}

fn offer_of(media: &str) -> SessionDescription {
    sd(&format!("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n{media}"))
}

#[test]
fn our_offer_is_a_7940s_with_opus_after_g711() {
    let offer = make_offer(&local());
    assert_eq!(
        offer.to_string(),
        "v=0\r\n\
         o=Cisco-SIPUA 5000 1 IN IP4 192.0.2.100\r\n\
         s=SIP Call\r\n\
         c=IN IP4 192.0.2.100\r\n\
         t=0 0\r\n\
         m=audio 16384 RTP/AVP 0 8 111 101\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 maxplaybackrate=8000;stereo=0;useinbandfec=1\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(sd(&offer.to_string()), offer);
}

#[test]
fn offer_order_dtmf_direction_and_ipv6() {
    let pts = |l: &LocalMedia| make_offer(l).media[0].formats.join(" ");
    let mut l = local();
    for (codec, want) in [
        (Codec::G711Ulaw, "0 8 111 101"),
        (Codec::G711Alaw, "8 0 111 101"),
        (Codec::G729a, "0 8 111 101"),
        (Codec::Opus, "111 0 8 101"),
        (Codec::None, "0 8 111 101"),
    ] {
        l.preferred_codec = codec;
        assert_eq!(pts(&l), want, "{codec:?}");
    }
    let cfg = MediaConfig { dtmf_outofband: DtmfOutOfBand::None, ..MediaConfig::default() };
    let l2 = LocalMedia::from_config(&cfg, v4(192, 0, 2, 100), 16384, 1, 1);
    assert_eq!(pts(&l2), "0 8 111");
    assert!(make_offer(&l2).media[0].fmtp(101).is_none());
    let cfg = MediaConfig {
        dtmf_avt_payload: 96,
        dtmf_outofband: DtmfOutOfBand::AvtAlways,
        ..MediaConfig::default()
    };
    assert_eq!(pts(&LocalMedia::from_config(&cfg, v4(192, 0, 2, 100), 16384, 1, 1)), "0 8 111 96");

    for (dir, attr) in [(Direction::SendOnly, "a=sendonly\r\n"), (Direction::Inactive, "a=inactive\r\n")] {
        let held = LocalMedia { direction: dir, ..local() };
        assert!(make_offer(&held).to_string().ends_with(attr));
    }

    let six = LocalMedia { address: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5)), ..local() };
    let text = make_offer(&six).to_string();
    assert!(text.contains("o=Cisco-SIPUA 5000 1 IN IP6 2001:db8::5\r\n"), "{text}");
    assert!(text.contains("c=IN IP6 2001:db8::5\r\n"), "{text}");
}

/// (name, offer m-section(s), expected: Ok((chosen pt, dtmf pt, direction)) or Err).
type Row = (&'static str, &'static str, Result<(u8, Option<u8>, Direction), AnswerError>);

const TABLE: &[Row] = &[
    ("pcmu only", "m=audio 4000 RTP/AVP 0\r\n", Ok((0, None, Direction::SendRecv))),
    ("pcmu without rtpmap (static)", "m=audio 4000 RTP/AVP 0 8\r\n", Ok((0, None, Direction::SendRecv))),
    (
        "pcma first",
        "m=audio 4000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n",
        Ok((8, None, Direction::SendRecv)),
    ),
    (
        "opus, pcma, pcmu: the first G.711 (a default phone speaks G.711)",
        "m=audio 4000 RTP/AVP 111 8 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:8 PCMA/8000\r\n",
        Ok((8, None, Direction::SendRecv)),
    ),
    (
        "opus mono is not RFC 7587",
        "m=audio 4000 RTP/AVP 111 8\r\na=rtpmap:111 opus/48000\r\na=rtpmap:8 PCMA/8000\r\n",
        Ok((8, None, Direction::SendRecv)),
    ),
    (
        "dynamic pt, lower-case name",
        "m=audio 4000 RTP/AVP 97 0\r\na=rtpmap:97 pcma/8000\r\n",
        Ok((97, None, Direction::SendRecv)),
    ),
    ("g729 only", "m=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n", Err(AnswerError::NoCommonCodec)),
    (
        "pt 0 remapped to something else",
        "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 G722/8000\r\n",
        Err(AnswerError::NoCommonCodec),
    ),
    (
        "telephone-event on 96",
        "m=audio 4000 RTP/AVP 0 96\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n",
        Ok((0, Some(96), Direction::SendRecv)),
    ),
    (
        "telephone-event/48000 is not ours",
        "m=audio 4000 RTP/AVP 0 110\r\na=rtpmap:110 telephone-event/48000\r\n",
        Ok((0, None, Direction::SendRecv)),
    ),
    ("sendonly offer", "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n", Ok((0, None, Direction::RecvOnly))),
    ("recvonly offer", "m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n", Ok((0, None, Direction::SendOnly))),
    ("inactive offer", "m=audio 4000 RTP/AVP 0\r\na=inactive\r\n", Ok((0, None, Direction::Inactive))),
    ("srtp only", "m=audio 4000 RTP/SAVP 0\r\n", Err(AnswerError::UnsupportedProto)),
    ("video only", "m=video 4002 RTP/AVP 31\r\n", Err(AnswerError::NoAudio)),
    ("audio already rejected", "m=audio 0 RTP/AVP 0\r\n", Err(AnswerError::NoAudio)),
];

#[test]
fn answer_table() {
    for (name, media, want) in TABLE {
        let offer = offer_of(media);
        let got = answer(&offer, &local()).map(|a| {
            let m = &a.media[0];
            let pts: Vec<u8> = m.payload_types().collect();
            let dtmf = pts.get(1).copied();
            assert!(pts.len() <= 2, "{name}: {pts:?}");
            (pts[0], dtmf, a.media_direction(0).unwrap())
        });
        assert_eq!(&got, want, "{name}");
        if let Err(e) = got {
            assert_eq!(e.status_code(), 488);
        }
    }
}

#[test]
fn session_level_direction_is_mirrored() {
    let offer = sd(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\na=sendonly\r\nm=audio 4000 RTP/AVP 0\r\n",
    );
    assert_eq!(answer(&offer, &local()).unwrap().media_direction(0), Some(Direction::RecvOnly));
}

#[test]
fn answer_is_complete_and_reuses_offer_numbers() {
    let offer = sd(OPUS_FIRST);
    // A default phone takes the first G.711 of the offer; one preferring Opus takes Opus.
    let a = answer(&offer, &local()).unwrap();
    assert_eq!(
        a.to_string(),
        "v=0\r\n\
         o=Cisco-SIPUA 5000 1 IN IP4 192.0.2.100\r\n\
         s=SIP Call\r\n\
         c=IN IP4 192.0.2.100\r\n\
         t=0 0\r\n\
         m=audio 16384 RTP/AVP 8 101\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    let opus = MediaConfig { preferred_codec: Codec::Opus, ..MediaConfig::default() };
    let a = answer(&offer, &LocalMedia::from_config(&opus, v4(192, 0, 2, 100), 16384, 5000, 1)).unwrap();
    assert_eq!(
        a.to_string(),
        "v=0\r\n\
         o=Cisco-SIPUA 5000 1 IN IP4 192.0.2.100\r\n\
         s=SIP Call\r\n\
         c=IN IP4 192.0.2.100\r\n\
         t=0 0\r\n\
         m=audio 16384 RTP/AVP 111 101\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 maxplaybackrate=8000;stereo=0;useinbandfec=1\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    // Without dtmf_outofband we do not accept telephone-event.
    let cfg = MediaConfig { dtmf_outofband: DtmfOutOfBand::None, ..MediaConfig::default() };
    let l = LocalMedia::from_config(&cfg, v4(192, 0, 2, 100), 16384, 1, 1);
    assert_eq!(answer(&offer, &l).unwrap().media[0].formats, vec!["8"]);
}

#[test]
fn audio_and_video_offer_rejects_video_keeping_order() {
    let offer = offer_of(
        "m=video 4002 RTP/AVP 31 34\r\na=rtpmap:31 H261/90000\r\nm=audio 4000 RTP/AVP 0\r\nm=audio 4004 RTP/AVP 8\r\n",
    );
    let a = answer(&offer, &local()).unwrap();
    let lines: Vec<(String, u16, String)> =
        a.media.iter().map(|m| (m.media.clone(), m.port, m.formats.join(" "))).collect();
    assert_eq!(
        lines,
        [
            ("video".into(), 0, "31 34".into()),
            ("audio".into(), 16384, "0".into()),
            ("audio".into(), 0, "8".into()),
        ]
    );
    assert!(a.media[0].attributes.is_empty());
    // The RFC 4475 sdp01 body: audio PCMU accepted, video rejected.
    let t = answer(&sd(&sdp01_body()), &local()).unwrap();
    assert_eq!((t.media[0].port, t.media[1].port), (16384, 0));
    assert_eq!(t.media[0].formats, vec!["0"]);
}

#[test]
fn our_hold_restricts_the_answer() {
    let held = LocalMedia { direction: Direction::SendOnly, ..local() };
    let dir = |offer: &str| answer(&offer_of(offer), &held).unwrap().media_direction(0).unwrap();
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\n"), Direction::SendOnly);
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"), Direction::Inactive);
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n"), Direction::SendOnly);
}

#[test]
fn negotiated_as_answerer_and_offerer() {
    // We answer Kamailio's offer: RTP to the media-level c=, RTCP from a=rtcp.
    let offer = sd(KAMAILIO_RTPENGINE);
    let ours = answer(&offer, &local()).unwrap();
    let m = negotiated(&ours, &offer).unwrap();
    assert_eq!(m.codec, AudioCodec::Pcmu);
    assert_eq!(m.codec.law(), Some(sip7940::media::g711::Law::Ulaw));
    assert_eq!(m.payload_type, 0);
    assert_eq!(m.dtmf_payload, Some(101));
    assert_eq!(m.remote_rtp, SocketAddr::new(v4(198, 51, 100, 4), 30000));
    assert_eq!(m.remote_rtcp, SocketAddr::new(v4(198, 51, 100, 4), 30003));
    assert_eq!(m.direction, Direction::SendRecv);
    assert_eq!(m.ptime, 20);

    // We offered; Asterisk answers PCMA and telephone-event on its own number.
    let our_offer = make_offer(&local());
    let their_answer = offer_of(
        "m=audio 12000 RTP/AVP 8 96\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n",
    );
    let m = negotiated(&our_offer, &their_answer).unwrap();
    assert_eq!((m.codec, m.payload_type, m.dtmf_payload), (AudioCodec::Pcma, 8, Some(96)));
    assert_eq!(m.remote_rtp, SocketAddr::new(v4(192, 0, 2, 9), 12000));
    assert_eq!(m.remote_rtcp, SocketAddr::new(v4(192, 0, 2, 9), 12001));
    assert_eq!(m.ptime, 30);

    // IPv6.
    let six = sd(IPV6);
    let m = negotiated(&answer(&six, &local()).unwrap(), &six).unwrap();
    assert_eq!(m.remote_rtp, "[2001:db8::10]:5004".parse().unwrap());
    assert_eq!(m.dtmf_payload, Some(96));
}

#[test]
fn negotiated_directions_and_old_hold() {
    let our_offer = make_offer(&local());
    let dir = |answer_media: &str| negotiated(&our_offer, &offer_of(answer_media)).unwrap().direction;
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n"), Direction::SendOnly);
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"), Direction::RecvOnly);
    assert_eq!(dir("m=audio 4000 RTP/AVP 0\r\na=inactive\r\n"), Direction::Inactive);

    // Peer puts us on hold the old way: c=0.0.0.0 → don't send, still receive.
    let hold = sd(OLD_HOLD);
    let m = negotiated(&answer(&hold, &local()).unwrap(), &hold).unwrap();
    assert_eq!(m.direction, Direction::RecvOnly);
    // Port 0 in their answer: nothing to send to.
    assert_eq!(dir("m=audio 0 RTP/AVP 0\r\n"), Direction::RecvOnly);
    // Our own hold.
    let held = make_offer(&LocalMedia { direction: Direction::SendOnly, ..local() });
    let m = negotiated(&held, &offer_of("m=audio 4000 RTP/AVP 0\r\na=recvonly\r\n")).unwrap();
    assert_eq!(m.direction, Direction::SendOnly);
}

#[test]
fn negotiated_errors() {
    let our_offer = make_offer(&local());
    assert_eq!(
        negotiated(&our_offer, &offer_of("m=audio 4000 RTP/AVP 18\r\n")),
        Err(NegotiationError::NoCommonCodec)
    );
    assert_eq!(negotiated(&our_offer, &offer_of("")), Err(NegotiationError::MissingRemoteStream));
    let fqdn = sd(
        "v=0\r\no=- 1 1 IN IP4 host.example.com\r\ns=-\r\nc=IN IP4 host.example.com\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
    );
    assert_eq!(negotiated(&our_offer, &fqdn), Err(NegotiationError::NoRemoteAddress));
    let no_audio = offer_of("m=video 4002 RTP/AVP 31\r\n");
    assert_eq!(negotiated(&no_audio, &our_offer), Err(NegotiationError::NoLocalAudio));
}

#[test]
fn session_versions() {
    let mut s = LocalSession::new(5000, 1);
    assert_eq!(s.next_version(), 2);
    let first = sd(ASTERISK).origin;
    assert_eq!(classify_remote(None, &first), RemoteChange::Initial);
    assert_eq!(classify_remote(Some(&first), &first.clone()), RemoteChange::Unchanged);
    let bumped = Origin { session_version: "1732094316".into(), ..first.clone() };
    assert_eq!(classify_remote(Some(&first), &bumped), RemoteChange::Modified);
    let other = Origin { session_id: "1".into(), ..first.clone() };
    assert_eq!(classify_remote(Some(&first), &other), RemoteChange::Replaced);
    // A re-offer built from the same LocalMedia with the next version.
    let mut l = local();
    let before = make_offer(&l);
    l.session_version = s.next_version();
    l.direction = Direction::SendOnly;
    let after = make_offer(&l);
    assert_eq!(classify_remote(Some(&before.origin), &after.origin), RemoteChange::Modified);
}

// ---------------------------------------------------------------------------------------------
// Differential against sdp-rs 0.2
// ---------------------------------------------------------------------------------------------

/// Known sdp-rs 0.2 bugs, each checked to still hold (so the exception stays honest).
#[test]
fn differential_against_sdp_rs() {
    let mut compared = 0;
    let mut refused = Vec::new();
    let (mut bug1, mut bug2, mut bug3) = (false, false, false);
    for (name, text) in samples() {
        let ours = sd(&text);
        let theirs = match sdp_rs::SessionDescription::try_from(text.as_str()) {
            Ok(t) => t,
            Err(e) => {
                // Bug 4: a body whose last line has no line end and is alone in its media
                // section is refused (ours takes it).
                // Not a bug but a difference: sdp-rs types attributes eagerly, so one malformed
                // rtpmap (RFC 4475 sdp01's `a=rtpmap:31 LPC`) rejects the whole body; ours
                // keeps it and reports the error only when the attribute is typed.
                eprintln!("{name}: sdp-rs refused: {e:?}");
                refused.push(name);
                continue;
            }
        };
        compared += 1;
        let o = &theirs.origin;
        assert_eq!(o.username, ours.origin.username, "{name}");
        assert_eq!(o.sess_id, ours.origin.session_id, "{name}");
        assert_eq!(o.sess_version, ours.origin.session_version, "{name}");
        assert_eq!(o.nettype.to_string(), ours.origin.net_type, "{name}");
        assert_eq!(o.addrtype.to_string(), ours.origin.addr_type.as_str(), "{name}");
        assert_eq!(Some(o.unicast_address), ours.origin.ip(), "{name}");
        let same_connection = |t: &sdp_rs::lines::Connection, c: &Connection| {
            t.nettype.to_string() == c.net_type
                && t.addrtype.to_string() == c.addr_type.as_str()
                && Some(t.connection_address.base) == c.ip()
                && t.connection_address.ttl == c.ttl.map(u32::from)
                && t.connection_address.numaddr == c.count
        };
        match (&theirs.connection, &ours.connection) {
            (Some(t), Some(c)) => assert!(same_connection(t, c), "{name}: {t:?} vs {c:?}"),
            (None, None) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(theirs.media_descriptions.len(), ours.media.len(), "{name}");
        for (t, m) in theirs.media_descriptions.iter().zip(&ours.media) {
            assert_eq!(t.media.media.to_string(), m.media, "{name}");
            assert_eq!(t.media.port, m.port, "{name}");
            assert_eq!(t.media.num_of_ports.map(u16::from), m.port_count, "{name}");
            assert_eq!(t.media.proto.to_string(), m.proto, "{name}");
            assert_eq!(t.media.fmt, m.formats.join(" "), "{name}");
            assert_eq!(t.connections.len(), m.connections.len(), "{name}");
            for (tc, mc) in t.connections.iter().zip(&m.connections) {
                assert!(same_connection(tc, mc), "{name}");
            }
            // Attributes: same count and names, except the known bugs.
            let mut their_attrs: Vec<String> = t.attributes.iter().map(ToString::to_string).collect();
            let our_attrs: Vec<String> = m.attributes.iter().map(ToString::to_string).collect();
            if name == "no_trailing_crlf" {
                // Bug 1: the last line is dropped when it has no line end.
                assert_eq!(their_attrs.len() + 1, our_attrs.len(), "{name}");
                their_attrs.push(our_attrs.last().unwrap().clone());
                bug1 = true;
            }
            for (ta, (oa, our)) in their_attrs.iter().zip(our_attrs.iter().zip(&m.attributes)) {
                if our.name == "rtpmap" && oa.matches('/').count() == 2 {
                    // Bug 2: `opus/48000/2` prints as `opus/48000 2`.
                    assert_eq!(ta, &oa.replacen("/48000/", "/48000 ", 1), "{name}");
                    bug2 = true;
                } else {
                    assert_eq!(ta, oa, "{name}");
                }
            }
            assert_eq!(their_attrs.len(), our_attrs.len(), "{name}");
            // Bug 3: `a=inactive` is never typed (its source looks for "inacive").
            for ta in &t.attributes {
                if matches!(ta, sdp_rs::lines::Attribute::Other(k, None) if k == "inactive") {
                    assert_eq!(m.direction_attribute(), Some(Direction::Inactive), "{name}");
                    bug3 = true;
                }
                assert!(!matches!(ta, sdp_rs::lines::Attribute::Inactive), "{name}: bug fixed?");
            }
        }
    }
    assert_eq!(refused, ["no_trailing_crlf_short", "rfc4475_sdp01"]);
    assert!(bug1 && bug2 && bug3, "every documented exception must still occur");
    assert_eq!(compared, samples().len() - refused.len());
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._+-]{1,10}"
}

fn text() -> impl Strategy<Value = String> {
    "[^\r\n]{0,16}"
}

fn addr_type() -> impl Strategy<Value = AddrType> {
    prop_oneof![Just(AddrType::Ip4), Just(AddrType::Ip6), "X[A-Z0-9]{0,3}".prop_map(AddrType::Other),]
}

fn connection() -> impl Strategy<Value = Connection> {
    (token(), addr_type(), "[A-Za-z0-9.:-]{1,20}", any::<Option<u8>>(), any::<Option<u32>>()).prop_map(
        |(net_type, addr_type, address, ttl, count)| {
            let (ttl, count) = match addr_type {
                AddrType::Ip6 => (None, count),
                _ => (ttl, if ttl.is_some() { count } else { None }),
            };
            Connection { net_type, addr_type, address, ttl, count }
        },
    )
}

fn attribute() -> impl Strategy<Value = Attribute> {
    ("[A-Za-z0-9-]{1,10}", proptest::option::of(text())).prop_map(|(name, value)| Attribute { name, value })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth> {
    ("[A-Za-z0-9-]{1,6}", any::<u64>()).prop_map(|(kind, value)| Bandwidth { kind, value })
}

/// Raw lines of the given letters, partitioned as the parser stores them.
fn raw_lines(letters: &'static str, before: fn(char) -> bool) -> impl Strategy<Value = Vec<RawLine>> {
    let kinds: Vec<char> = letters.chars().collect();
    proptest::collection::vec((proptest::sample::select(kinds), text()), 0..4).prop_map(move |v| {
        let mut lines: Vec<RawLine> = v.into_iter().map(|(kind, value)| RawLine { kind, value }).collect();
        lines.sort_by_key(|l| !before(l.kind));
        lines
    })
}

fn media() -> impl Strategy<Value = MediaDescription> {
    (
        ("[a-z]{1,8}", any::<u16>(), any::<Option<u16>>(), "[A-Za-z/]{1,12}"),
        proptest::collection::vec("[0-9]{1,3}|[a-z*]{1,4}", 0..5),
        proptest::collection::vec(connection(), 0..3),
        proptest::collection::vec(bandwidth(), 0..2),
        proptest::collection::vec(attribute(), 0..6),
        raw_lines("idefghijklnopqrstuvwxyz", |k| k == 'i'),
    )
        .prop_map(
            |((media, port, port_count, proto), formats, connections, bandwidths, attributes, extra)| {
                MediaDescription {
                    media,
                    port,
                    port_count,
                    proto,
                    formats,
                    connections,
                    bandwidths,
                    attributes,
                    extra,
                }
            },
        )
}

fn description() -> impl Strategy<Value = SessionDescription> {
    (
        (
            token(),
            "[0-9]{1,20}|\\(null\\)",
            "[0-9]{1,20}|\\(null\\)",
            token(),
            addr_type(),
            "[A-Za-z0-9.:-]{1,20}",
        ),
        text(),
        proptest::option::of(connection()),
        proptest::collection::vec(bandwidth(), 0..2),
        proptest::collection::vec(
            (any::<u64>(), any::<u64>(), proptest::collection::vec(text(), 0..2)),
            0..3,
        ),
        proptest::collection::vec(attribute(), 0..4),
        raw_lines("iuepzkxyqw", |k| matches!(k, 'i' | 'u' | 'e' | 'p')),
        proptest::collection::vec(media(), 0..4),
    )
        .prop_map(|(o, session_name, connection, bandwidths, times, attributes, extra, media)| {
            SessionDescription {
                origin: Origin {
                    username: o.0,
                    session_id: o.1,
                    session_version: o.2,
                    net_type: o.3,
                    addr_type: o.4,
                    address: o.5,
                },
                session_name,
                connection,
                bandwidths,
                timings: times
                    .into_iter()
                    .map(|(start, stop, repeats)| Timing { start, stop, repeats })
                    .collect(),
                attributes,
                extra,
                media,
            }
        })
}

/// Text made of SDP-ish lines, some valid, many not.
fn sdp_like() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("v=0".to_owned()),
        Just("o=- 1 2 IN IP4 192.0.2.1".to_owned()),
        Just("s=-".to_owned()),
        Just("t=0 0".to_owned()),
        "c=IN IP[46] [0-9a-f.:/]{0,20}",
        "m=(audio|video) [0-9/]{0,7} RTP/AVP( [0-9]{1,3}){0,4}",
        "a=(rtpmap|fmtp|ptime|rtcp|sendonly|inactive)(:[ -~]{0,20})?",
        "b=[A-Z]{0,4}:?[0-9]{0,5}",
        "[a-z=]{0,3}[^\n]{0,10}",
    ];
    (proptest::collection::vec(line, 0..14), prop_oneof![Just("\r\n"), Just("\n")], any::<bool>()).prop_map(
        |(lines, eol, trailing)| {
            let mut s = lines.join(eol);
            if trailing {
                s.push_str(eol);
            }
            s.into_bytes()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Err(e) = parse(&bytes) {
            prop_assert!(e.line >= 1 && e.line <= bytes.split(|&b| b == b'\n').count() + 1);
        }
    }

    #[test]
    fn sdp_like_text_never_panics_and_answering_never_panics(bytes in sdp_like()) {
        if let Ok(parsed) = parse(&bytes) {
            prop_assert_eq!(parse(&parsed.to_bytes()), Ok(parsed.clone()));
            for a in parsed.media.iter().flat_map(|m| &m.attributes) {
                let _ = a.typed();
            }
            if let Ok(ans) = answer(&parsed, &local()) {
                prop_assert_eq!(ans.media.len(), parsed.media.len());
                let n = negotiated(&ans, &parsed);
                prop_assert!(matches!(n, Ok(_) | Err(NegotiationError::NoRemoteAddress)), "{:?}", n);
            }
            let _ = negotiated(&make_offer(&local()), &parsed);
        }
    }

    #[test]
    fn parse_print_round_trip(x in description()) {
        let printed = x.to_bytes();
        prop_assert!(printed.ends_with(b"\r\n"));
        prop_assert_eq!(parse(&printed), Ok(x));
    }

    #[test]
    fn generated_descriptions_never_panic_offer_answer(x in description()) {
        let _ = answer(&x, &local());
        let _ = negotiated(&x, &make_offer(&local()));
        let _ = negotiated(&make_offer(&local()), &x);
        for m in &x.media {
            for a in &m.attributes {
                if let Ok(TypedAttribute::Rtpmap(r)) = a.typed() {
                    prop_assert!(r.payload_type <= 127);
                }
            }
        }
    }
}
