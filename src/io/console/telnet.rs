//! Telnet (RFC 854) as far as a line console needs it: option negotiation is skipped,
//! `CR LF`, `CR NUL` and a bare `LF` end a line, backspace and DEL erase, and an over-long
//! line is cut at [`MAX_LINE`] bytes rather than buffered without end. Nothing here touches
//! a socket: [`LineDecoder`] is fed bytes and returns whole lines.

/// Interpret As Command: starts every telnet command.
pub const IAC: u8 = 255;
const SE: u8 = 240;
const SB: u8 = 250;
const WILL: u8 = 251;
const DONT: u8 = 254;
/// The ECHO option (RFC 857).
pub const ECHO: u8 = 1;
/// `IAC WILL ECHO`: the server echoes, so the client stops echoing (sent before the password).
pub const WILL_ECHO: [u8; 3] = [IAC, WILL, ECHO];
/// `IAC WONT ECHO`: the client echoes again (sent after the password).
pub const WONT_ECHO: [u8; 3] = [IAC, 252, ECHO];

/// The longest line kept; the rest of a longer line is dropped.
pub const MAX_LINE: usize = 512;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Data,
    /// After CR: LF or NUL belong to it.
    Cr,
    Iac,
    /// After WILL/WONT/DO/DONT: the option byte.
    Option,
    /// Inside a subnegotiation, until IAC SE.
    Sub,
    SubIac,
}

/// Turns a telnet byte stream into lines (without their end), as text.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    state: State,
    line: Vec<u8>,
}

impl Default for LineDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl LineDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self { state: State::Data, line: Vec::new() }
    }

    /// Feeds `bytes`; returns the lines they complete. Bytes that are not UTF-8 become U+FFFD.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut lines = Vec::new();
        for &b in bytes {
            self.state = match (self.state, b) {
                (State::Iac, IAC) => {
                    self.push(IAC);
                    State::Data
                }
                (State::Iac, WILL..=DONT) => State::Option,
                (State::Iac, SB) => State::Sub,
                (State::Iac, _) | (State::Option, _) => State::Data,
                (State::Sub, IAC) => State::SubIac,
                (State::Sub, _) => State::Sub,
                (State::SubIac, SE) => State::Data,
                (State::SubIac, _) => State::Sub,
                (State::Data | State::Cr, IAC) => State::Iac,
                (State::Cr, b'\n' | 0) => State::Data,
                (State::Data | State::Cr, b'\r') => {
                    lines.push(self.take());
                    State::Cr
                }
                (State::Data, b'\n') => {
                    lines.push(self.take());
                    State::Data
                }
                (State::Data | State::Cr, 0x08 | 0x7f) => {
                    self.line.pop();
                    State::Data
                }
                (State::Data, 0) => State::Data,
                (State::Data | State::Cr, b) => {
                    self.push(b);
                    State::Data
                }
            };
        }
        lines
    }

    fn push(&mut self, b: u8) {
        if self.line.len() < MAX_LINE {
            self.line.push(b);
        }
    }

    fn take(&mut self) -> String {
        let line = std::mem::take(&mut self.line);
        String::from_utf8_lossy(&line).into_owned()
    }
}

/// Text for a telnet client: every `\n` becomes `CR LF` (the network virtual terminal's line
/// end) and a data byte 255 would be doubled (text is UTF-8, which never has one).
pub fn to_wire(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 8);
    for &b in text.as_bytes() {
        if b == b'\n' {
            out.extend_from_slice(b"\r\n");
        } else {
            out.push(b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_of_every_kind() {
        let mut d = LineDecoder::new();
        assert_eq!(d.feed(b"sh reg\r\nhelp\r\0calls\nquit\r"), ["sh reg", "help", "calls", "quit"]);
        // The LF of a CR LF split over two reads is not an empty line.
        assert_eq!(d.feed(b"\nx\r"), ["x"]);
        assert!(d.feed(b"\n").is_empty());
        assert_eq!(d.feed(b"\n"), [""]);
    }

    #[test]
    fn negotiation_is_skipped_and_iac_iac_is_data() {
        let mut d = LineDecoder::new();
        // DO ECHO, a NAWS subnegotiation with an IAC IAC inside, WILL SGA, then text.
        let mut bytes = vec![IAC, 253, ECHO, IAC, SB, 31, 0, 80, IAC, IAC, 0, 24, IAC, SE, IAC, WILL, 3];
        bytes.extend_from_slice(b"cis");
        bytes.extend_from_slice(&[IAC, 241]); // NOP
        bytes.extend_from_slice(b"co\r\n");
        assert_eq!(d.feed(&bytes), ["cisco"]);
        assert_eq!(d.feed(&[b'a', IAC, IAC, b'\n']), ["a\u{fffd}"]);
    }

    #[test]
    fn backspace_erases_and_long_lines_are_cut() {
        let mut d = LineDecoder::new();
        assert_eq!(d.feed(b"shx\x08 reg\x7f\x7f\x7freg\r\n"), ["sh reg"]);
        let long = vec![b'a'; 10_000];
        let lines = d.feed(&[long.as_slice(), b"\n"].concat());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].len(), MAX_LINE);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut d = LineDecoder::new();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        let _ = d.feed(&bytes);
        assert_eq!(to_wire("a\nb"), b"a\r\nb");
    }
}
