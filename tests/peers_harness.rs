//! The peer harness (`tests/support/peers.rs`) against the peers themselves: Kamailio,
//! sipp and baresip talk to each other, no sip7940 code involved. If these pass, a
//! failing phone test is about the phone, not about the rig.
//!
//! Needs the peers installed (`SETUP_PEERS=1 scripts/setup.sh`, which `scripts/test.sh`
//! runs): a missing one fails the test with that hint, it is never skipped.

#[path = "support/peers.rs"]
mod peers;

use peers::{
    AnswerMode, Baresip, BaresipOpts, KamOpts, Kamailio, Sipp, free_port_block, free_udp_ports,
    parse_ul_dump, read_wav_s16, require, tone_hz, udp_port_bound,
};
use std::collections::HashSet;
use std::time::{Duration, Instant};

const PASS_12345: &str = "sipgatepassword";
const PASS_23456: &str = "secret23456";

fn pid_alive(pid: u32) -> bool {
    // a zombie still has /proc/PID; its state is Z
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit(')').next().map(|r| !r.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// A 400 Hz tone whose zero crossings fall on the 20 ms block edges the estimator uses
/// (the phase baresip's file had in one CI run, read as 375 Hz), after leading silence.
#[test]
fn tone_estimate_counts_crossings_on_block_edges() {
    let rate = 8000u32;
    let mut samples = vec![0i16; 800];
    samples.extend((0..16_000).map(|n| {
        let phase = 2.0 * std::f64::consts::PI * 400.0 * (f64::from(n) + 0.5) / f64::from(rate);
        (phase.sin() * 8000.0) as i16
    }));
    for shift in 0..20 {
        let hz = tone_hz(rate, &samples[shift..]);
        assert!((395.0..405.0).contains(&hz), "shift {shift}: {hz} Hz");
    }
}

#[test]
fn missing_peer_fails_with_install_hint() {
    let err = std::panic::catch_unwind(|| require("no-such-sip-peer-binary")).unwrap_err();
    let msg = err.downcast_ref::<String>().expect("a String panic");
    assert_eq!(
        msg,
        "no-such-sip-peer-binary not installed: run scripts/setup.sh with SETUP_PEERS=1 \
         (Debian package no-such-sip-peer-binary)"
    );
    // and the real ones are there (kamailio and kamcmd from /usr/sbin even without it on PATH)
    for bin in ["kamailio", "kamcmd", "sipp", "baresip", "python3"] {
        assert!(require(bin).is_file(), "{bin}");
    }
}

#[test]
fn free_ports_are_distinct_and_bindable() {
    let ports = free_udp_ports(50);
    let set: HashSet<u16> = ports.iter().copied().collect();
    assert_eq!(set.len(), 50, "{ports:?}");
    for &p in &ports {
        std::net::UdpSocket::bind(("127.0.0.1", p)).unwrap_or_else(|e| panic!("port {p}: {e}"));
    }
    let base = free_port_block(4);
    assert_eq!(base % 2, 0);
    assert!((0..4).all(|i| !set.contains(&(base + i))));
}

#[test]
fn ul_dump_parser_reads_kamailio_5_6_output() {
    // Real `kamcmd ul.dump` output of Kamailio 5.6.3 (trimmed to the fields we read):
    // two AoRs, the second contact of 12345 via the proxy port, 23456 expired.
    let dump = "{\n\tDomains: {\n\t\tDomain: {\n\t\t\tDomain: location\n\t\t\tSize: 1024\n\
        \t\t\tAoRs: {\n\t\t\t\tInfo: {\n\t\t\t\t\tAoR: 12345\n\t\t\t\t\tHashID: 924651812\n\
        \t\t\t\t\tContacts: {\n\t\t\t\t\t\tContact: {\n\
        \t\t\t\t\t\t\tAddress: sip:12345@127.0.0.1:5999\n\t\t\t\t\t\t\tExpires: 53\n\
        \t\t\t\t\t\t\tQ: -1\n\t\t\t\t\t\t\tCall-ID: 1-5521@127.0.0.1\n\t\t\t\t\t\t\tCSeq: 2\n\
        \t\t\t\t\t\t\tUser-Agent: sipp-register\n\t\t\t\t\t\t\tReceived: [not set]\n\
        \t\t\t\t\t\t\tSocket: udp:127.0.0.1:26060\n\t\t\t\t\t\t}\n\
        \t\t\t\t\t\tContact: {\n\t\t\t\t\t\t\tAddress: sip:12345@127.0.0.1:5998\n\
        \t\t\t\t\t\t\tExpires: 41\n\t\t\t\t\t\t\tReceived: sip:127.0.0.1:40000\n\
        \t\t\t\t\t\t\tSocket: udp:127.0.0.1:26082\n\t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\
        \t\t\t\tInfo: {\n\t\t\t\t\tAoR: 23456\n\t\t\t\t\tContacts: {\n\t\t\t\t\t\tContact: {\n\
        \t\t\t\t\t\t\tAddress: sip:23456@127.0.0.1:5997\n\t\t\t\t\t\t\tExpires: expired\n\
        \t\t\t\t\t\t}\n\t\t\t\t\t}\n\t\t\t\t}\n\t\t\t}\n\t\t\tStats: {\n\t\t\t\tRecords: 2\n\
        \t\t\t\tMax-Slots: 1\n\t\t\t}\n\t\t}\n\t}\n}\n";
    let b = parse_ul_dump(dump);
    assert_eq!(b.len(), 3, "{b:#?}");
    assert_eq!((b[0].aor.as_str(), b[0].address.as_str()), ("12345", "sip:12345@127.0.0.1:5999"));
    assert_eq!(b[0].expires, Some(53));
    assert_eq!(b[0].received, None);
    assert_eq!(b[0].socket, "udp:127.0.0.1:26060");
    assert_eq!((b[0].cseq, b[0].call_id.as_str()), (2, "1-5521@127.0.0.1"));
    assert_eq!(b[0].user_agent, "sipp-register");
    assert_eq!(b[1].received.as_deref(), Some("sip:127.0.0.1:40000"));
    assert_eq!(b[1].socket, "udp:127.0.0.1:26082");
    assert_eq!((b[2].aor.as_str(), b[2].expires), ("23456", None));
    let empty = "{\n\tDomains: {\n\t\tDomain: {\n\t\t\tDomain: location\n\t\t\tSize: 1024\n\
        \t\t\tAoRs: {\n\t\t\t}\n\t\t\tStats: {\n\t\t\t\tRecords: 0\n\t\t\t\tMax-Slots: 0\n\
        \t\t\t}\n\t\t}\n\t}\n}\n";
    assert!(parse_ul_dump(empty).is_empty());
}

#[test]
fn kamailio_starts_on_free_ports_and_stops_on_drop() {
    let kam = Kamailio::start(KamOpts::default());
    let (port, proxy_port, dir) = (kam.port, kam.proxy_port, kam.dir().to_path_buf());
    assert_ne!(port, proxy_port);
    assert!(![5060, 5082].contains(&port) && ![5060, 5082].contains(&proxy_port));
    assert!(udp_port_bound(port) && udp_port_bound(proxy_port));
    let pid = kam.pid().expect("pid file");
    assert!(pid_alive(pid));
    assert!(kam.ul_dump().contains("Records: 0"), "{}", kam.ul_dump());
    assert!(kam.contacts_of("12345").is_empty());
    assert!(dir.join("kamailio.cfg").is_file());
    drop(kam);
    assert!(!pid_alive(pid), "kamailio {pid} still running after drop");
    assert!(!udp_port_bound(port) && !udp_port_bound(proxy_port));
    if std::env::var("PEERS_KEEP").is_err() {
        assert!(!dir.exists(), "temp dir {} left behind", dir.display());
    }
}

#[test]
fn sipp_registers_12345_with_digest() {
    let kam = Kamailio::start(KamOpts::default());
    let out = Sipp::uac_register(kam.addr(), "12345", PASS_12345, 5999, 60).run();
    out.expect_success();
    assert_eq!(out.responses(401), 1, "{}", out.report());
    assert!(out.messages.contains("qop=\"auth\""), "{}", out.report());
    assert_eq!(out.responses(200), 1, "{}", out.report());
    assert_eq!(kam.contacts_of("12345"), ["sip:12345@127.0.0.1:5999"]);
    let b = &kam.bindings_of("12345")[0];
    assert_eq!(b.socket, format!("udp:127.0.0.1:{}", kam.port));
    assert!(b.expires.is_some_and(|e| (50..=60).contains(&e)), "{b:?}");
    assert!(kam.contacts_of("23456").is_empty());
    assert!(kam.log().contains("REGISTER ok for sip:12345@"));

    // the same account through the "outbound proxy" port: a second binding
    Sipp::uac_register(kam.proxy_addr(), "12345", PASS_12345, 5998, 60).run().expect_success();
    let b = kam.bindings_of("12345");
    assert_eq!(b.len(), 2, "{b:#?}");
    assert_eq!(b[1].address, "sip:12345@127.0.0.1:5998");
    assert_eq!(b[1].socket, format!("udp:127.0.0.1:{}", kam.proxy_port));

    // Expires: 0 removes that binding only
    Sipp::uac_register(kam.addr(), "12345", PASS_12345, 5999, 0).run().expect_success();
    assert_eq!(kam.contacts_of("12345"), ["sip:12345@127.0.0.1:5998"]);
}

#[test]
fn wrong_password_makes_sipp_exit_97() {
    let kam = Kamailio::start(KamOpts::default());
    let out = Sipp::uac_register(kam.addr(), "12345", "wrongpassword", 5999, 60).run();
    out.expect_status(97);
    assert!(out.messages.contains("SIP/2.0 403 Forbidden - wrong password"), "{}", out.report());
    assert!(kam.contacts_of("12345").is_empty());
    assert!(kam.log().contains("REGISTER auth for '12345' (To 12345) failed rc=-2"));
}

#[test]
fn restart_keeps_ports_and_forgets_bindings() {
    let mut kam = Kamailio::start(KamOpts::default());
    let (port, proxy_port) = (kam.port, kam.proxy_port);
    Sipp::uac_register(kam.addr(), "12345", PASS_12345, 5999, 300).run().expect_success();
    assert_eq!(kam.contacts_of("12345").len(), 1);
    let old_pid = kam.pid().expect("pid");

    let t = Instant::now();
    kam.restart();
    eprintln!("restart took {:?}", t.elapsed());
    assert_eq!((kam.port, kam.proxy_port), (port, proxy_port));
    assert!(!pid_alive(old_pid));
    let new_pid = kam.pid().expect("pid after restart");
    assert_ne!(new_pid, old_pid);
    assert!(pid_alive(new_pid));
    assert!(kam.contacts_of("12345").is_empty(), "{}", kam.ul_dump());

    // and it serves again on the same port
    Sipp::uac_register(kam.addr(), "12345", PASS_12345, 5997, 300).run().expect_success();
    assert_eq!(kam.contacts_of("12345"), ["sip:12345@127.0.0.1:5997"]);
}

#[test]
fn sipp_registrar_accepts_sipp_register() {
    let port = free_udp_ports(1)[0];
    let uas = Sipp::uas_register_auth(port, "12345", PASS_12345, "sip.test").spawn();
    let uac =
        Sipp::uac_register(format!("127.0.0.1:{port}").parse().unwrap(), "12345", PASS_12345, 5999, 120)
            .run();
    uac.expect_success();
    let uas = uas.wait();
    uas.expect_success();
    assert!(uas.messages.contains("realm=\"sip.test\""), "{}", uas.report());
    assert!(uas.messages.contains("Authorization: Digest"));
    assert!(uac.messages.contains("Contact: <sip:12345@127.0.0.1:5999>"));

    // wrong credentials: 403, and both sides stop with 97
    let port = free_udp_ports(1)[0];
    let uas = Sipp::uas_register_auth(port, "12345", PASS_12345, "sip.test").spawn();
    Sipp::uac_register(format!("127.0.0.1:{port}").parse().unwrap(), "12345", "nope", 5999, 120)
        .run()
        .expect_status(97);
    uas.wait().expect_status(97);
}

#[test]
fn two_kamailios_in_parallel_do_not_collide() {
    let handles: Vec<_> = [5101u16, 5102]
        .into_iter()
        .map(|contact_port| {
            std::thread::spawn(move || {
                let kam = Kamailio::start(KamOpts::default());
                Sipp::uac_register(kam.addr(), "12345", PASS_12345, contact_port, 60).run().expect_success();
                // give the other instance time to register too: traffic must not cross
                std::thread::sleep(Duration::from_millis(500));
                let contacts = kam.contacts_of("12345");
                (kam.port, kam.proxy_port, contacts, kam)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let (a, b) = (&results[0], &results[1]);
    let ports: HashSet<u16> = [a.0, a.1, b.0, b.1].into();
    assert_eq!(ports.len(), 4, "port collision: {ports:?}");
    assert_eq!(a.2, ["sip:12345@127.0.0.1:5101"]);
    assert_eq!(b.2, ["sip:12345@127.0.0.1:5102"]);
    assert_ne!(a.3.dir(), b.3.dir());
}

#[test]
fn baresip_registers_23456_through_kamailio_and_stops_cleanly() {
    let kam = Kamailio::start(KamOpts::default());
    // through the second ("outbound proxy") port, like the README example
    let proxy = format!("sip:127.0.0.1:{}", kam.proxy_port);
    let t = Instant::now();
    let mut bs = Baresip::start(BaresipOpts::new("23456", PASS_23456, &proxy));
    eprintln!("baresip start took {:?}", t.elapsed());
    let pid = bs.pid().expect("baresip pid");
    let contacts = kam.contacts_of("23456");
    assert_eq!(contacts.len(), 1, "{}", kam.ul_dump());
    assert!(contacts[0].contains(&format!("@127.0.0.1:{}", bs.sip_port)), "{contacts:?}");
    assert_eq!(kam.bindings_of("23456")[0].socket, format!("udp:127.0.0.1:{}", kam.proxy_port));
    assert!(bs.log().contains("200 OK"));
    let reginfo = bs.cmd("/reginfo");
    assert!(reginfo.contains("sip:23456@sip.test"), "{reginfo}");
    assert!(bs.try_cmd("/no_such_command").is_err());

    bs.stop();
    assert!(!pid_alive(pid), "baresip {pid} still running");
    // SIGTERM makes it unregister before it exits
    assert!(kam.contacts_of("23456").is_empty(), "still bound after stop:\n{}", kam.ul_dump());
    for p in [bs.sip_port, bs.cons_port] {
        assert!(!udp_port_bound(p), "port {p} still bound");
    }
}

#[test]
fn sipp_calls_baresip_through_kamailio() {
    let kam = Kamailio::start(KamOpts::default());
    let bs = Baresip::start(BaresipOpts::new("23456", PASS_23456, &kam.uri()));
    // outside caller "sipp": not challenged; sipp echoes baresip's 1 kHz tone back
    let out = Sipp::uac_call(kam.addr(), "23456", "sipp", 1500).run();
    out.expect_success();
    assert!(out.messages.contains("Record-Route:"), "{}", out.report());
    let ev = bs.wait_event("CALL_ESTABLISHED", Duration::from_secs(5));
    assert_eq!(ev["direction"], "incoming");
    bs.wait_event("CALL_CLOSED", Duration::from_secs(5));
    let dec = bs.recordings_dec();
    assert_eq!(dec.len(), 1, "{dec:?}");
    let (rate, samples) = read_wav_s16(&dec[0]).expect("a s16 wav");
    let hz = tone_hz(rate, &samples);
    assert!((950.0..1050.0).contains(&hz), "heard {hz} Hz");
}

#[test]
fn baresip_dials_sipp_uas_via_static_route() {
    let uas_port = free_udp_ports(1)[0];
    let kam = Kamailio::start(KamOpts::default().route("9999", uas_port));
    let uas = Sipp::uas_answer(uas_port, 200).spawn();
    let bs = Baresip::start(BaresipOpts::new("23456", PASS_23456, &kam.uri()));
    bs.cmd("/dial 9999");
    let ev = bs.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    assert_eq!(ev["direction"], "outgoing");
    bs.cmd("/hangup");
    bs.wait_event("CALL_CLOSED", Duration::from_secs(5));
    let out = uas.wait();
    out.expect_success();
    assert_eq!(out.requests("BYE"), 1, "{}", out.report());
    // 23456 is a local user: the INVITE got a 407 first, which baresip answered
    let log = kam.log();
    assert!(log.contains("INVITE from local user 23456 without credentials -> 407"));
    assert!(log.contains("static route 9999 -> sip:127.0.0.1:"));
}

#[test]
fn sipp_uas_hangs_up_on_baresip_and_plays_a_tone() {
    let uas_port = free_udp_ports(1)[0];
    let kam = Kamailio::start(KamOpts::default().route("9999", uas_port));
    let uas = Sipp::uas_answer_bye(uas_port, 1500, 400).spawn();
    let opts = BaresipOpts::new("23456", PASS_23456, &kam.uri()).answer(AnswerMode::Manual);
    let bs = Baresip::start(opts);
    bs.cmd("/dial 9999");
    bs.wait_event("CALL_ESTABLISHED", Duration::from_secs(10));
    bs.wait_event("CALL_CLOSED", Duration::from_secs(10));
    uas.wait().expect_success();
    let dec = bs.recordings_dec();
    let (rate, samples) = read_wav_s16(dec.last().expect("a recording")).expect("wav");
    let hz = tone_hz(rate, &samples);
    assert!((380.0..420.0).contains(&hz), "heard {hz} Hz");
}
