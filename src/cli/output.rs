//! Writing to stdout without panicking when the reader goes away (`sip7940 check | head`).

use std::io::Write;

/// Writes `text` to stdout. A closed pipe is not an error worth reporting; any other
/// failure is returned.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// One line of a call's media figures, as `call` and `phone` print them.
pub fn media_summary(r: &crate::media::engine::EngineReport) -> String {
    let rtt = r.rtt_ms.map(|ms| format!(", RTT {ms:.1} ms")).unwrap_or_default();
    let far = r
        .send
        .map(|s| format!("; far end: lost {:.1} %, MOS {:.2}", s.loss_percent, s.quality.mos))
        .unwrap_or_default();
    format!(
        "{} sent {} packets, received {}, lost {}, late {}, duplicates {}, jitter {:.2} ms, \
         buffer {:.0} ms{rtt}, MOS {:.2}{far}",
        r.codec,
        r.packets_sent,
        r.packets_received,
        r.lost,
        r.late,
        r.duplicates,
        r.jitter_ms,
        r.jitter_buffer_ms,
        r.receive.quality.mos
    )
}
