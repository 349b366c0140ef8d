//! Bytes typed at a terminal in raw mode, turned into keys: printable characters (UTF-8),
//! Enter, Backspace, Escape, the function keys, Alt-combinations and a few control keys.
//! Pure: bytes in, [`Key`]s out; a lone Escape is told from the start of a sequence by the
//! pause after it, which the reader notices and reports with [`KeyDecoder::flush`].
//!
//! ```text
//!  ESC O P..S              F1..F4        (xterm, tmux)
//!  ESC [ 11~ .. 24~        F1..F12       (rxvt, xterm: 15~ F5, 17~..21~ F6..F10, 23~ 24~)
//!  ESC [ [ A..E            F1..F5        (the Linux console)
//!  ESC [ 1;2P ..           F1..F4 with a modifier (the modifier is ignored)
//!  ESC [ A..D              the arrows
//!  ESC x                   Alt-x
//!  ESC, then a pause       Escape
//! ```

/// A key as the screen understands it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// A printable character.
    Char(char),
    /// Alt (or Meta) with a printable character.
    Alt(char),
    /// Enter (CR or LF).
    Enter,
    /// Backspace (DEL or BS).
    Backspace,
    /// Escape on its own.
    Esc,
    /// Tab.
    Tab,
    /// Function key 1..12.
    F(u8),
    /// An arrow key.
    Arrow(Arrow),
    /// Ctrl-C.
    CtrlC,
    /// Ctrl-D.
    CtrlD,
    /// Ctrl-L (redraw).
    CtrlL,
    /// Ctrl-U (erase the line being typed).
    CtrlU,
}

/// The arrow keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrow {
    /// Up.
    Up,
    /// Down.
    Down,
    /// Right.
    Right,
    /// Left.
    Left,
}

const ESC: u8 = 0x1b;

/// Collects bytes until they make keys.
#[derive(Debug, Default, Clone)]
pub struct KeyDecoder {
    pending: Vec<u8>,
}

/// What the bytes at the start of the buffer make.
enum Parsed {
    /// A key (or nothing, for a sequence we do not know) and how many bytes it took.
    Done(Option<Key>, usize),
    /// The bytes so far start a sequence: wait for more (or the pause).
    Incomplete,
}

impl KeyDecoder {
    /// A decoder with nothing pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether bytes wait for the rest of their sequence (the reader then waits only a
    /// little before calling [`flush`](Self::flush)).
    pub fn is_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// Bytes read: the keys they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Key> {
        self.pending.extend_from_slice(bytes);
        let mut keys = Vec::new();
        let mut at = 0;
        while at < self.pending.len() {
            match parse(self.pending.get(at..).unwrap_or_default()) {
                Parsed::Done(key, used) => {
                    keys.extend(key);
                    at += used.max(1);
                }
                Parsed::Incomplete => break,
            }
        }
        self.pending.drain(..at.min(self.pending.len()));
        keys
    }

    /// The pause after a read: a lone Escape is the Escape key, Escape before one byte is
    /// Alt with it; an unfinished sequence is dropped.
    pub fn flush(&mut self) -> Vec<Key> {
        let pending = std::mem::take(&mut self.pending);
        match pending.as_slice() {
            [ESC] => vec![Key::Esc],
            [ESC, ESC] => vec![Key::Esc, Key::Esc],
            _ => Vec::new(),
        }
    }
}

/// One key from the start of `b` (not empty).
fn parse(b: &[u8]) -> Parsed {
    let Some(&first) = b.first() else { return Parsed::Done(None, 0) };
    match first {
        ESC => parse_escape(b),
        b'\r' | b'\n' => Parsed::Done(Some(Key::Enter), 1),
        0x7f | 0x08 => Parsed::Done(Some(Key::Backspace), 1),
        b'\t' => Parsed::Done(Some(Key::Tab), 1),
        0x03 => Parsed::Done(Some(Key::CtrlC), 1),
        0x04 => Parsed::Done(Some(Key::CtrlD), 1),
        0x0c => Parsed::Done(Some(Key::CtrlL), 1),
        0x15 => Parsed::Done(Some(Key::CtrlU), 1),
        0x00..=0x1f => Parsed::Done(None, 1),
        0x20..=0x7e => Parsed::Done(Some(Key::Char(char::from(first))), 1),
        _ => parse_utf8(b),
    }
}

/// A multi-byte UTF-8 character; a bad byte is skipped.
fn parse_utf8(b: &[u8]) -> Parsed {
    let len = match b.first() {
        Some(0xc2..=0xdf) => 2,
        Some(0xe0..=0xef) => 3,
        Some(0xf0..=0xf4) => 4,
        _ => return Parsed::Done(None, 1),
    };
    let Some(bytes) = b.get(..len) else { return Parsed::Incomplete };
    match std::str::from_utf8(bytes).ok().and_then(|s| s.chars().next()) {
        Some(c) => Parsed::Done(Some(Key::Char(c)), len),
        None => Parsed::Done(None, 1),
    }
}

/// A sequence starting with Escape.
fn parse_escape(b: &[u8]) -> Parsed {
    match b.get(1) {
        None => Parsed::Incomplete,
        Some(b'[') => parse_csi(b),
        Some(b'O') => match b.get(2) {
            None => Parsed::Incomplete,
            Some(&f @ b'P'..=b'S') => Parsed::Done(Some(Key::F(f - b'P' + 1)), 3),
            Some(&a @ b'A'..=b'D') => Parsed::Done(arrow(a), 3),
            Some(_) => Parsed::Done(None, 3),
        },
        // Escape twice: the first one is the key; the second may start a sequence.
        Some(&ESC) => Parsed::Done(Some(Key::Esc), 1),
        Some(&c @ 0x20..=0x7e) => Parsed::Done(Some(Key::Alt(char::from(c))), 2),
        Some(_) => Parsed::Done(Some(Key::Esc), 1),
    }
}

/// `ESC [` parameters, intermediates, a final byte (ECMA-48), or the Linux console's
/// `ESC [ [ A..E`.
fn parse_csi(b: &[u8]) -> Parsed {
    if b.get(2) == Some(&b'[') {
        return match b.get(3) {
            None => Parsed::Incomplete,
            Some(&f @ b'A'..=b'E') => Parsed::Done(Some(Key::F(f - b'A' + 1)), 4),
            Some(_) => Parsed::Done(None, 4),
        };
    }
    let body = b.get(2..).unwrap_or_default();
    let Some(end) = body.iter().position(|c| (0x40..=0x7e).contains(c)) else {
        // Parameters and intermediates only so far; anything else breaks the sequence.
        return if body.iter().all(|c| (0x20..=0x3f).contains(c)) {
            Parsed::Incomplete
        } else {
            Parsed::Done(None, 2)
        };
    };
    let (params, last) = (body.get(..end).unwrap_or_default(), body.get(end).copied().unwrap_or(0));
    let used = 2 + end + 1;
    if !params.iter().all(|c| (0x20..=0x3f).contains(c)) {
        return Parsed::Done(None, 2);
    }
    let first_param = params
        .split(|&c| c == b';')
        .next()
        .and_then(|p| std::str::from_utf8(p).ok())
        .and_then(|p| p.parse::<u8>().ok());
    let key = match last {
        b'~' => first_param.and_then(tilde_key),
        b'P'..=b'S' => Some(Key::F(last - b'P' + 1)),
        b'A'..=b'D' => arrow(last),
        _ => None,
    };
    Parsed::Done(key, used)
}

/// `ESC [ N ~`: the function keys (Home, Insert, Delete and the like are not used).
fn tilde_key(n: u8) -> Option<Key> {
    let f = match n {
        11..=15 => n - 10,
        17..=21 => n - 11,
        23 | 24 => n - 12,
        _ => return None,
    };
    Some(Key::F(f))
}

fn arrow(c: u8) -> Option<Key> {
    let a = match c {
        b'A' => Arrow::Up,
        b'B' => Arrow::Down,
        b'C' => Arrow::Right,
        b'D' => Arrow::Left,
        _ => return None,
    };
    Some(Key::Arrow(a))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(bytes: &[u8]) -> Vec<Key> {
        let mut d = KeyDecoder::new();
        let mut out = d.feed(bytes);
        out.extend(d.flush());
        out
    }

    #[test]
    fn digits_enter_backspace_and_control_keys() {
        assert_eq!(
            keys(b"12*#\r\x7f\x08\t\x03\x0c\x15\x04"),
            vec![
                Key::Char('1'),
                Key::Char('2'),
                Key::Char('*'),
                Key::Char('#'),
                Key::Enter,
                Key::Backspace,
                Key::Backspace,
                Key::Tab,
                Key::CtrlC,
                Key::CtrlL,
                Key::CtrlU,
                Key::CtrlD
            ]
        );
        assert_eq!(keys("é€".as_bytes()), vec![Key::Char('é'), Key::Char('€')]);
        assert_eq!(keys(b"\x01\xffa"), vec![Key::Char('a')], "other control bytes and bad UTF-8 are skipped");
    }

    #[test]
    fn function_keys_in_every_dialect() {
        // xterm and tmux send F1..F4 as SS3, F5.. as CSI with a tilde.
        assert_eq!(keys(b"\x1bOP\x1bOQ\x1bOR\x1bOS"), (1..=4).map(Key::F).collect::<Vec<_>>());
        let tilde: Vec<u8> = [11, 12, 13, 14, 15, 17, 18, 19, 20, 21, 23, 24]
            .iter()
            .flat_map(|n| format!("\x1b[{n}~").into_bytes())
            .collect();
        assert_eq!(keys(&tilde), (1..=12).map(Key::F).collect::<Vec<_>>());
        assert_eq!(keys(b"\x1b[[A\x1b[[E"), vec![Key::F(1), Key::F(5)], "the Linux console");
        assert_eq!(keys(b"\x1b[1;2P\x1b[15;5~"), vec![Key::F(1), Key::F(5)], "with a modifier");
        assert_eq!(keys(b"\x1b[A\x1bOD"), vec![Key::Arrow(Arrow::Up), Key::Arrow(Arrow::Left)]);
        assert_eq!(keys(b"\x1b[3~\x1b[H5"), vec![Key::Char('5')], "keys the screen does not use");
    }

    #[test]
    fn escape_alone_alt_and_sequences_split_across_reads() {
        let mut d = KeyDecoder::new();
        assert_eq!(d.feed(b"\x1b"), vec![]);
        assert!(d.is_pending());
        assert_eq!(d.flush(), vec![Key::Esc], "the pause after a lone Escape");
        assert!(!d.is_pending());
        assert_eq!(d.feed(b"\x1b["), vec![]);
        assert_eq!(d.feed(b"1"), vec![]);
        assert_eq!(d.feed(b"7~9"), vec![Key::F(6), Key::Char('9')]);
        assert_eq!(d.feed(b"\x1bO"), vec![]);
        assert_eq!(d.feed(b"S"), vec![Key::F(4)]);
        assert_eq!(d.feed(&[0xc3]), vec![]);
        assert_eq!(d.feed(&[0xa9]), vec![Key::Char('é')]);
        assert_eq!(keys(b"\x1b1\x1bq"), vec![Key::Alt('1'), Key::Alt('q')]);
        assert_eq!(keys(b"\x1b\x1bOP"), vec![Key::Esc, Key::F(1)]);
        assert_eq!(keys(b"\x1b\x1b"), vec![Key::Esc, Key::Esc]);
        // An unfinished sequence is dropped at the pause; what follows decodes.
        let mut d = KeyDecoder::new();
        assert_eq!(d.feed(b"\x1b[12"), vec![]);
        assert_eq!(d.flush(), vec![]);
        assert_eq!(d.feed(b"7"), vec![Key::Char('7')]);
        // A broken sequence gives up its two first bytes, not what follows.
        assert_eq!(keys(b"\x1b[1\x012"), vec![Key::Char('1'), Key::Char('2')]);
    }
}
