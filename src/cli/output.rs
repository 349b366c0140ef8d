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
