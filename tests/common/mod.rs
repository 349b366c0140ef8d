//! Helpers shared by the torture-test integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use sip7940::sip::message::{Datagram, HeaderName, Message, OwnedMessage, StartLine, parse_datagram};

/// Reads `tests/data/<dir>/<name>.dat`.
pub fn load(dir: &str, name: &str) -> Vec<u8> {
    let p: PathBuf =
        [env!("CARGO_MANIFEST_DIR"), "tests", "data", dir, &format!("{name}.dat")].iter().collect();
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Lists the `.dat` file stems in `tests/data/<dir>`.
pub fn list(dir: &str) -> Vec<String> {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", dir].iter().collect();
    let mut v: Vec<String> = std::fs::read_dir(p)
        .unwrap()
        .filter_map(|e| {
            let n = e.ok()?.file_name().into_string().ok()?;
            n.strip_suffix(".dat").map(str::to_owned)
        })
        .collect();
    v.sort();
    v
}

/// Parses a datagram that must be a message.
pub fn parse(buf: &[u8]) -> Message<'_> {
    match parse_datagram(buf) {
        Ok(Datagram::Message(m)) => m,
        other => panic!("not a message: {other:?}"),
    }
}

/// (canonical name, unfolded value) of every header except Content-Length.
fn header_list(m: &Message<'_>) -> Vec<(String, Vec<u8>)> {
    m.headers
        .iter()
        .filter(|h| !h.is(HeaderName::ContentLength))
        .map(|h| (h.canonical_name().into_owned(), h.value().into_owned()))
        .collect()
}

fn typed_summary(m: &Message<'_>) -> Vec<String> {
    let mut v = Vec::new();
    v.push(format!("{:?}", m.vias().map(|l| l.iter().map(ToString::to_string).collect::<Vec<_>>())));
    v.push(format!("{:?}", m.from().map(|n| n.to_string())));
    v.push(format!("{:?}", m.to().map(|n| n.to_string())));
    v.push(format!("{:?}", m.cseq().map(|c| c.to_string())));
    v.push(format!("{:?}", m.call_id()));
    // Error positions legitimately move (folds are gone); keep only the kind.
    v.iter()
        .map(|s| match s.find("line:") {
            Some(i) => s.get(..i).unwrap_or(s).to_owned(),
            None => s.clone(),
        })
        .collect()
}

fn start_line_summary(m: &Message<'_>) -> String {
    match &m.start {
        StartLine::Request(r) => format!("{:?} {:?} {:?}", r.method, r.uri, r.version),
        StartLine::Response(s) => format!("{:?} {} {:?}", s.version, s.code, s.reason),
    }
}

/// parse → owned → print → parse: same start line, header list, body and typed core
/// headers.
pub fn assert_round_trip(name: &str, m: &Message<'_>) {
    let owned = m.to_owned_message();
    let bytes = owned.to_bytes();
    let m2 = parse(&bytes);
    assert_eq!(start_line_summary(m), start_line_summary(&m2), "{name}: start line");
    assert_eq!(header_list(m), header_list(&m2), "{name}: headers");
    assert_eq!(m.body, m2.body, "{name}: body");
    assert_eq!(typed_summary(m), typed_summary(&m2), "{name}: typed");
    // Printing the re-parsed message again is a fixed point.
    let owned2: OwnedMessage = m2.to_owned_message();
    assert_eq!(owned2.to_bytes(), bytes, "{name}: second print");
}
