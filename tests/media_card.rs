//! The media task with a sound card (a simulated one, driven at its own pace by a thread, as
//! a device callback would be): the microphone's tone reaches the far end as RTP, and the
//! far end's tone reaches the loudspeaker, pulled at the card's clock.

use sip7940::config::groups::MediaConfig;
use sip7940::io::audio::{AudioOptions, SimulatedCard};
use sip7940::io::media_task::{self, Audio, MediaOptions};
use sip7940::media::g711::Law;
use sip7940::media::goertzel::Goertzel;
use sip7940::media::rtp::{RtpSender, parse_rtp};
use sip7940::media::tone::{Level, Tone};
use sip7940::sdp::{AudioCodec, Direction, Media};
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Share of a block's energy at `hz`.
fn share(samples: &[i16], hz: f64) -> f64 {
    Goertzel::new(8000, hz, samples.len()).map(|g| g.relative_power(samples)).unwrap_or_default()
}

#[test]
fn the_sound_card_is_sent_and_played_at_its_own_clock() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    // The far end: a plain UDP socket that sends a 400 Hz tone as PCMU and collects our RTP.
    let far = UdpSocket::bind("127.0.0.1:0").expect("far end");
    far.set_read_timeout(Some(Duration::from_millis(5))).expect("timeout");
    let far_addr = far.local_addr().expect("addr");
    let sockets = media_task::bind_rtp("127.0.0.1".parse().expect("ip"), 40000, 40100).expect("rtp ports");
    let our_rtp: SocketAddr =
        SocketAddr::new("127.0.0.1".parse().expect("ip"), sockets.port().expect("port"));
    let media = Media {
        codec: AudioCodec::Pcmu,
        payload_type: 0,
        receive_payload_type: 0,
        opus_fec: false,
        dtmf_payload: None,
        receive_dtmf_payload: None,
        remote_rtp: far_addr,
        remote_rtcp: SocketAddr::new(far_addr.ip(), far_addr.port() + 1),
        direction: Direction::SendRecv,
        ptime: 20,
    };
    let (path, mut card) = SimulatedCard::open(48_000, 48_000, &AudioOptions::default()).expect("card");

    // The card's "callbacks": every 10 ms, 480 samples of a 1 kHz tone into the microphone
    // and 480 samples out of the loudspeaker.
    let stop = Arc::new(AtomicBool::new(false));
    let played = Arc::new(Mutex::new(Vec::<i16>::new()));
    let card_thread = std::thread::spawn({
        let (stop, played) = (stop.clone(), played.clone());
        move || {
            let mut mic = Tone::single(48_000, 1000.0, Level::Dbm0(-10.0)).expect("tone");
            let start = Instant::now();
            let mut n = 0u32;
            while !stop.load(Ordering::Relaxed) {
                let mut input = [0i16; 480];
                mic.fill(&mut input);
                card.capture(&input, 1);
                let mut output = [0i16; 480];
                card.play(&mut output, 1);
                if let Ok(mut p) = played.lock() {
                    p.extend(output.iter().step_by(6)); // back to 8 kHz for the check
                }
                n += 1;
                let next = start + Duration::from_millis(10) * n;
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        }
    });

    let received = rt.block_on(async {
        let options = MediaOptions { seed: 3, cname: "card@test".into(), ..MediaOptions::default() };
        let handle =
            media_task::spawn(sockets, media, &MediaConfig::default(), Audio::Card(Box::new(path)), options)
                .expect("media task");
        // The far end on a blocking thread: 3 s of 400 Hz, collecting what we send.
        let far_end = tokio::task::spawn_blocking(move || {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(9);
            let mut tx = RtpSender::g711(&mut rng, Law::Ulaw);
            let mut tone = Tone::single(8000, 400.0, Level::Dbm0(-10.0)).expect("tone");
            let mut ours = Vec::new();
            let start = Instant::now();
            let mut buf = [0u8; 2048];
            for n in 1..=150u32 {
                let mut frame = [0i16; 160];
                tone.fill(&mut frame);
                let mut payload = [0u8; 160];
                Law::Ulaw.encode_to_slice(&frame, &mut payload);
                if let Ok(packet) = tx.build(&payload) {
                    let _ = far.send_to(&packet, our_rtp);
                }
                let next = start + Duration::from_millis(20) * n;
                while Instant::now() < next {
                    if let Ok((len, _)) = far.recv_from(&mut buf)
                        && let Ok(h) = parse_rtp(&buf[..len])
                    {
                        Law::Ulaw.decode_into(h.payload, &mut ours);
                    }
                }
            }
            ours
        });
        let ours = far_end.await.expect("far end");
        let report = handle.finish().await.expect("report");
        (ours, report)
    });
    stop.store(true, Ordering::Relaxed);
    card_thread.join().expect("card thread");
    let (sent_to_far, report) = received;

    // The microphone's 1 kHz reached the far end.
    assert!(sent_to_far.len() >= 8000 * 2, "at least 2 s of our audio: {}", sent_to_far.len());
    let middle = &sent_to_far[8000..16000];
    assert!(share(middle, 1000.0) > 0.8, "the far end heard the microphone's tone");
    // The far end's 400 Hz reached the loudspeaker, pulled at the card's pace.
    let played = played.lock().map(|p| p.clone()).unwrap_or_default();
    let loud: Vec<i16> = played.iter().copied().skip_while(|s| *s == 0).collect();
    assert!(loud.len() >= 8000 * 2, "at least 2 s played: {}", loud.len());
    assert!(share(&loud[4000..12000], 400.0) > 0.8, "the loudspeaker played the far end's tone");
    assert!(report.figures.packets_received >= 140, "{:?}", report.figures);
    assert!(report.figures.frames_played >= 100, "playout was pulled by the card: {:?}", report.figures);
}
