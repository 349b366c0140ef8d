//! Opus in SDP (RFC 7587): what we offer with `preferred_codec: opus`, how we answer offers
//! with and without Opus, what `negotiated` makes of both ways, and `sip7940 check`
//! accepting the `opus` extension. The offer order for every `preferred_codec` is in
//! tests/sdp.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::net::{IpAddr, Ipv4Addr};

use sip7940::config::phone::MediaConfig;
use sip7940::config::value::Codec;
use sip7940::sdp::{
    AudioCodec, LocalMedia, SessionDescription, TypedAttribute, answer, make_offer, negotiated, parse,
};

fn sd(text: &str) -> SessionDescription {
    parse(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn offer_of(media: &str) -> SessionDescription {
    sd(&format!("v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n{media}"))
}

fn local(preferred: Codec) -> LocalMedia {
    let config = MediaConfig { preferred_codec: preferred, ..MediaConfig::default() };
    LocalMedia::from_config(&config, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 100)), 16384, 5000, 1)
}

/// baresip-style Opus offer on payload type 96, FEC asked for, then PCMU.
const OPUS_96: &str = "m=audio 4000 RTP/AVP 96 0 101\r\n\
a=rtpmap:96 opus/48000/2\r\n\
a=fmtp:96 stereo=1;sprop-stereo=1;useinbandfec=1\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n";

#[test]
fn preferred_opus_offer_prints_rtpmap_and_fmtp() {
    let text = make_offer(&local(Codec::Opus)).to_string();
    let media = text.split("m=").nth(1).unwrap();
    assert_eq!(
        media,
        "audio 16384 RTP/AVP 111 0 8 101\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 maxplaybackrate=8000;stereo=0;useinbandfec=1\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
}

#[test]
fn opus_moves_off_a_telephone_event_number_of_111() {
    let config =
        MediaConfig { preferred_codec: Codec::Opus, dtmf_avt_payload: 111, ..MediaConfig::default() };
    let l = LocalMedia::from_config(&config, IpAddr::V4(Ipv4Addr::LOCALHOST), 16384, 1, 1);
    assert_eq!(l.payload_type(AudioCodec::Opus), 112);
    let offer = make_offer(&l);
    assert_eq!(offer.media[0].formats.join(" "), "112 0 8 111");
    assert!(offer.media[0].rtpmap(112).is_some_and(|r| r.encoding == "opus"));
    assert!(offer.media[0].rtpmap(111).is_some_and(|r| r.encoding == "telephone-event"));
}

#[test]
fn opus_rtpmap_parses_with_its_two_channels() {
    let offer = offer_of(OPUS_96);
    let r = offer.media[0].rtpmap(96).unwrap();
    assert_eq!((r.encoding, r.clock_rate, r.channels), ("opus", 48000, Some(2)));
    let fmtp = offer.media[0].attributes.iter().find(|a| a.name == "fmtp").unwrap();
    match fmtp.typed().unwrap() {
        TypedAttribute::Fmtp(f) => {
            assert_eq!((f.payload_type, f.params), (96, "stereo=1;sprop-stereo=1;useinbandfec=1"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn answer_to_an_opus_first_offer_mirrors_its_number() {
    // A default phone still speaks G.711 when Opus comes first (if the offer has G.711).
    let plain = answer(&offer_of(OPUS_96), &local(Codec::G711Ulaw)).unwrap();
    assert_eq!(plain.media[0].formats.join(" "), "0 101");
    // One that prefers Opus takes it, under the offer's payload number.
    let offer = offer_of(OPUS_96);
    let ours = answer(&offer, &local(Codec::Opus)).unwrap();
    let m = &ours.media[0];
    assert_eq!(m.formats.join(" "), "96 101");
    let r = m.rtpmap(96).unwrap();
    assert_eq!((r.encoding, r.clock_rate, r.channels), ("opus", 48000, Some(2)));
    assert_eq!(m.fmtp(96).unwrap().params, "maxplaybackrate=8000;stereo=0;useinbandfec=1");
    // Both sides of the call see the same media.
    let media = negotiated(&ours, &offer).unwrap();
    assert_eq!((media.codec, media.payload_type, media.receive_payload_type), (AudioCodec::Opus, 96, 96));
    assert!(media.opus_fec, "the offer says useinbandfec=1");
    assert_eq!(media.dtmf_payload, Some(101));
}

#[test]
fn answer_to_an_offer_without_opus_is_g711() {
    let offer = offer_of("m=audio 4000 RTP/AVP 8 0\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n");
    let ours = answer(&offer, &local(Codec::Opus)).unwrap();
    assert_eq!(ours.media[0].formats, ["8"]);
    assert!(ours.media[0].fmtp(8).is_none());
    let media = negotiated(&ours, &offer).unwrap();
    assert_eq!((media.codec, media.payload_type, media.opus_fec), (AudioCodec::Pcma, 8, false));
    // Opus at another clock rate is not Opus.
    let odd = offer_of("m=audio 4000 RTP/AVP 97 0\r\na=rtpmap:97 opus/16000/2\r\n");
    assert_eq!(answer(&odd, &local(Codec::Opus)).unwrap().media[0].formats, ["0"]);
}

#[test]
fn negotiated_as_offerer_takes_their_number_and_fec() {
    let ours = make_offer(&local(Codec::Opus));
    // They answer Opus renumbered to 100, without FEC.
    let theirs = offer_of("m=audio 4000 RTP/AVP 100\r\na=rtpmap:100 OPUS/48000/2\r\na=fmtp:100 stereo=0\r\n");
    let media = negotiated(&ours, &theirs).unwrap();
    assert_eq!((media.codec, media.payload_type, media.receive_payload_type), (AudioCodec::Opus, 100, 111));
    assert!(!media.opus_fec);
    // They answer PCMU to our Opus-first offer.
    let theirs = offer_of("m=audio 4000 RTP/AVP 0\r\n");
    let media = negotiated(&ours, &theirs).unwrap();
    assert_eq!((media.codec, media.payload_type), (AudioCodec::Pcmu, 0));
    // By default we offer G.711 first: a peer answering with our first choice gets PCMU.
    let ours = make_offer(&local(Codec::G711Ulaw));
    let theirs =
        offer_of("m=audio 4000 RTP/AVP 0 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n");
    assert_eq!(negotiated(&ours, &theirs).unwrap().codec, AudioCodec::Pcmu);
}

#[test]
fn codec_facts() {
    assert_eq!(AudioCodec::Opus.clock_rate(), 48000);
    assert_eq!(AudioCodec::Pcmu.clock_rate(), 8000);
    assert_eq!(AudioCodec::Opus.static_payload_type(), None);
    assert_eq!(AudioCodec::Opus.law(), None);
    assert_eq!(AudioCodec::Opus.display_name(), "opus/48000/2");
}

#[test]
fn check_accepts_preferred_codec_opus() {
    let run = |value: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_sip7940"))
            .args([
                "--config-dir",
                "profiles/loopback",
                "--set",
                &format!("preferred_codec={value}"),
                "check",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("run sip7940 check")
    };
    let ok = run("opus");
    let text = String::from_utf8_lossy(&ok.stdout);
    assert_eq!(ok.status.code(), Some(0), "{text}");
    assert!(text.contains("preferred_codec : opus"), "{text}");
    let bad = run("opus2");
    let text = String::from_utf8_lossy(&bad.stdout);
    assert_ne!(bad.status.code(), Some(0), "{text}");
    assert!(text.contains("one of g711ulaw, g711alaw, g729a, opus, none"), "{text}");
}
