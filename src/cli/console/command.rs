//! The console's command language: the 7940's telnet commands (`sh reg`, `reg 1 N`,
//! `reset`, `test key …`, `debug sip-messages`, `tty mon 0`) and the softphone's verbs
//! (`dial`, `answer`, `hangup`, `hold`, `resume`, `transfer`, `dtmf`, `calls`). Keywords are
//! case-insensitive and words may be separated by any run of spaces or tabs. Pure: a line
//! in, a [`Command`] or a [`ParseError`] out.

use std::fmt;

/// A registration row named by `reg 0|1 …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegTarget {
    /// Line N (1-based).
    Line(usize),
    /// Line 1 at `proxy_backup` (row `1-BU`).
    Backup,
}

/// A key of the phone, for `test key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// Keypad digits, `0-9`, `*` and `#`, pressed in order.
    Digits(String),
    /// Line key N (1-based).
    Line(usize),
    /// Softkey N (1-based, left to right under the display).
    Soft(usize),
}

/// Which call a verb is for: the one given by number, else the obvious one.
pub type CallRef = Option<u64>;

/// A console command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// An empty line: only the prompt again.
    Empty,
    /// `sh reg` / `show register`: the LINE REGISTRATION TABLE.
    ShowRegister,
    /// `reg 1 N` registers, `reg 0 N` un-registers a row.
    Register {
        /// Register (true) or un-register.
        on: bool,
        /// Which row.
        target: RegTarget,
    },
    /// `reset`: re-read the files and restart the lines.
    Reset,
    /// `erase protflash`: the firmware's wipe of local settings (sip7940 keeps none).
    Erase,
    /// `test open` / `test close`: the firmware's test mode (accepted; keys work either way).
    TestMode(bool),
    /// `test key …`: press keys.
    TestKey(Vec<Key>),
    /// `test offhook` (true) / `test onhook` (false).
    Hook(bool),
    /// `debug sip-messages` (true), `tty mon 1` (true), `tty mon 0` (false): SIP messages on
    /// this console.
    Monitor(bool),
    /// `dial NUMBER`.
    Dial(String),
    /// `answer [CALL]`.
    Answer(CallRef),
    /// `hangup [CALL]`.
    Hangup(CallRef),
    /// `hold [CALL]`.
    Hold(CallRef),
    /// `resume [CALL]`.
    Resume(CallRef),
    /// `transfer NUMBER`: blind transfer of the current call (REFER); `transfer` alone
    /// (`None`): the Transfer key — hold the call for a consultation call, or complete
    /// the transfer to it (attended, with `Replaces`).
    Transfer(Option<String>),
    /// `messages`: call the voicemail number (`messages_uri`), as the Messages key.
    Messages,
    /// `speed N`: dial speed dial N (`speed_lineN`).
    Speed(usize),
    /// `forward NUMBER` / `forward off` (`None`): forward all calls (`cfwd_url`).
    Forward(Option<String>),
    /// `dnd on` / `dnd off`: do not disturb (`dnd_control`).
    Dnd(bool),
    /// `swap`: hold the talking call and resume the held one (call waiting).
    Swap,
    /// `dtmf DIGITS`.
    Dtmf(String),
    /// `calls`: the calls with state, peer and duration.
    Calls,
    /// `help` / `?`.
    Help,
    /// `quit` / `exit`: end this session.
    Quit,
}

impl Command {
    /// Whether the command changes the phone, so that a telnet session needs `telnet_level : 2`.
    pub fn needs_privilege(&self) -> bool {
        !matches!(
            self,
            Command::Empty
                | Command::ShowRegister
                | Command::Monitor(_)
                | Command::Calls
                | Command::Help
                | Command::Quit
        )
    }
}

/// Why a line is not a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not a command at all.
    Unknown(String),
    /// A command with wrong arguments: how it is used.
    Usage(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Unknown(line) => write!(f, "% Unknown command \"{line}\" (help lists the commands)"),
            ParseError::Usage(usage) => write!(f, "% Usage: {usage}"),
        }
    }
}

const REG_USAGE: &str = "reg 1|0 LINE|backup";
const KEY_USAGE: &str = "test key DIGITS|lineN|softN ...";
const TEST_USAGE: &str = "test key ... | test offhook | test onhook | test open | test close";
const DIGITS: &str = "0123456789*#ABCDabcd";

/// Parses one console line.
pub fn parse(line: &str) -> Result<Command, ParseError> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    let unknown = || ParseError::Unknown(words.join(" "));
    let arg = |i: usize| words.get(i).copied();
    let call_ref = |usage: &'static str| -> Result<CallRef, ParseError> {
        match (arg(1), words.len()) {
            (None, _) => Ok(None),
            (Some(n), 2) => n.parse().map(Some).map_err(|_| ParseError::Usage(usage)),
            _ => Err(ParseError::Usage(usage)),
        }
    };
    let command = match lower.as_slice() {
        [] => Command::Empty,
        ["sh" | "show", "reg" | "register" | "registration"] => Command::ShowRegister,
        ["reg", on @ ("0" | "1"), target] => {
            let target = match *target {
                "backup" | "1-bu" => RegTarget::Backup,
                n => RegTarget::Line(line_number(n).ok_or(ParseError::Usage(REG_USAGE))?),
            };
            Command::Register { on: *on == "1", target }
        }
        ["reg", ..] => return Err(ParseError::Usage(REG_USAGE)),
        ["reset"] => Command::Reset,
        ["erase", "protflash"] => Command::Erase,
        ["test", "open"] => Command::TestMode(true),
        ["test", "close"] => Command::TestMode(false),
        ["test", "offhook"] => Command::Hook(true),
        ["test", "onhook"] => Command::Hook(false),
        ["test", "key", keys @ ..] if !keys.is_empty() => Command::TestKey(
            keys.iter().map(|k| key(k)).collect::<Option<_>>().ok_or(ParseError::Usage(KEY_USAGE))?,
        ),
        ["test", "key"] => return Err(ParseError::Usage(KEY_USAGE)),
        ["test", ..] => return Err(ParseError::Usage(TEST_USAGE)),
        ["debug", "sip-messages" | "sip-message"] => Command::Monitor(true),
        ["tty", "mon" | "monitor", on @ ("0" | "1")] => Command::Monitor(*on == "1"),
        ["dial", _] => {
            let number = words[1];
            if number.chars().any(|c| c.is_control()) {
                return Err(ParseError::Usage("dial NUMBER"));
            }
            Command::Dial(number.to_owned())
        }
        ["dial", ..] => return Err(ParseError::Usage("dial NUMBER")),
        ["answer", ..] => Command::Answer(call_ref("answer [CALL]")?),
        ["hangup", ..] => Command::Hangup(call_ref("hangup [CALL]")?),
        ["hold", ..] => Command::Hold(call_ref("hold [CALL]")?),
        ["resume", ..] => Command::Resume(call_ref("resume [CALL]")?),
        ["transfer"] => Command::Transfer(None),
        ["transfer", number] => Command::Transfer(Some((*number).to_owned())),
        ["transfer", ..] => return Err(ParseError::Usage("transfer [NUMBER]")),
        ["messages"] => Command::Messages,
        ["messages", ..] => return Err(ParseError::Usage("messages")),
        ["speed", n] => match n.parse::<usize>() {
            Ok(n) if (1..=crate::config::phone::SPEED_DIALS).contains(&n) => Command::Speed(n),
            _ => return Err(ParseError::Usage("speed N (1-5)")),
        },
        ["speed", ..] => return Err(ParseError::Usage("speed N (1-5)")),
        ["forward", "off"] => Command::Forward(None),
        ["forward", target] if !target.chars().any(|c| c.is_control()) => {
            Command::Forward(Some((*target).to_owned()))
        }
        ["forward", ..] => return Err(ParseError::Usage("forward NUMBER | forward off")),
        ["dnd", on @ ("on" | "off")] => Command::Dnd(*on == "on"),
        ["dnd", ..] => return Err(ParseError::Usage("dnd on | dnd off")),
        ["swap"] => Command::Swap,
        ["dtmf", digits] if !digits.is_empty() && digits.chars().all(|c| DIGITS.contains(c)) => {
            Command::Dtmf(digits.to_ascii_uppercase())
        }
        ["dtmf", ..] => return Err(ParseError::Usage("dtmf DIGITS (0-9 * # A-D)")),
        ["calls"] => Command::Calls,
        ["help" | "?"] => Command::Help,
        ["quit" | "exit" | "logout"] => Command::Quit,
        _ => return Err(unknown()),
    };
    Ok(command)
}

/// A line number 1..=6.
fn line_number(text: &str) -> Option<usize> {
    text.parse().ok().filter(|n| (1..=crate::config::phone::MAX_LINES).contains(n))
}

/// One `test key` word.
fn key(word: &str) -> Option<Key> {
    if let Some(n) = word.strip_prefix("line") {
        return line_number(n).map(Key::Line);
    }
    if let Some(n) = word.strip_prefix("soft") {
        return n.parse().ok().filter(|n| (1..=4).contains(n)).map(Key::Soft);
    }
    (word.chars().all(|c| c.is_ascii_digit() || c == '*' || c == '#')).then(|| Key::Digits(word.to_owned()))
}

/// `help`: every command, the privileged ones marked when the session lacks the privilege.
pub fn help(privileged: bool) -> String {
    let mark = if privileged { "  " } else { "* " };
    let rows: &[(&str, &str, bool)] = &[
        ("sh reg | show register", "the LINE REGISTRATION TABLE", false),
        ("reg 1 N | reg 0 N", "register / un-register line N", true),
        ("reg 1 backup | reg 0 backup", "line 1 at proxy_backup (row 1-BU)", true),
        ("reset", "re-read the files and restart the lines", true),
        ("test key DIGITS|lineN|softN", "press keys (digits in a call send DTMF)", true),
        ("test offhook | test onhook", "lift / hang up the handset", true),
        ("debug sip-messages", "show every SIP message on this console", false),
        ("tty mon 0", "stop showing them", false),
        ("dial NUMBER", "call NUMBER from the selected line (line key, default 1)", true),
        ("answer [CALL]", "answer the ringing call", true),
        ("hangup [CALL]", "end the call (CANCEL or refuse before an answer)", true),
        ("hold [CALL]", "put the call on hold", true),
        ("resume [CALL]", "take it off hold", true),
        ("transfer NUMBER", "blind transfer of the current call (REFER)", true),
        ("transfer", "the Transfer key: hold for a consultation call, then transfer to it", true),
        ("messages", "call the voicemail (messages_uri)", true),
        ("speed N", "dial speed dial N (speed_lineN)", true),
        ("forward NUMBER | forward off", "forward all calls (302), or stop", true),
        ("dnd on | dnd off", "do not disturb: calls get 486 and never ring", true),
        ("swap", "hold the talking call, resume the held one", true),
        ("dtmf DIGITS", "send 0-9 * # A-D in the call", true),
        ("calls", "the calls: state, peer, duration", false),
        ("help", "this list", false),
        ("quit | exit", "end this session", false),
        ("erase protflash", "(sip7940 keeps no local settings)", true),
        ("test open | test close", "the firmware's test mode (keys work anyway)", true),
    ];
    let mut out = String::new();
    for (command, what, privileged_only) in rows {
        let mark = if *privileged_only { mark } else { "  " };
        out.push_str(&format!("{mark}{command:<30}{what}\n"));
    }
    out.push_str("CALL is a number from the first column of `calls`; without it, the current call.\n");
    if !privileged {
        out.push_str("* needs telnet_level : 2\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_firmware_commands() {
        assert_eq!(parse("sh reg"), Ok(Command::ShowRegister));
        assert_eq!(parse("  SHOW   Register "), Ok(Command::ShowRegister));
        assert_eq!(parse("reg 1 2"), Ok(Command::Register { on: true, target: RegTarget::Line(2) }));
        assert_eq!(parse("reg 0 1"), Ok(Command::Register { on: false, target: RegTarget::Line(1) }));
        assert_eq!(parse("reg 1 backup"), Ok(Command::Register { on: true, target: RegTarget::Backup }));
        assert_eq!(parse("reset"), Ok(Command::Reset));
        assert_eq!(parse("erase protflash"), Ok(Command::Erase));
        assert_eq!(parse("test open"), Ok(Command::TestMode(true)));
        assert_eq!(parse("test offhook"), Ok(Command::Hook(true)));
        assert_eq!(parse("test onhook"), Ok(Command::Hook(false)));
        assert_eq!(
            parse("test key 12#  line2 soft1"),
            Ok(Command::TestKey(vec![Key::Digits("12#".into()), Key::Line(2), Key::Soft(1)]))
        );
        assert_eq!(parse("debug sip-messages"), Ok(Command::Monitor(true)));
        assert_eq!(parse("tty mon 0"), Ok(Command::Monitor(false)));
        assert_eq!(parse(""), Ok(Command::Empty));
        assert_eq!(parse(" \t "), Ok(Command::Empty));
    }

    #[test]
    fn the_softphone_verbs() {
        assert_eq!(parse("dial 23456"), Ok(Command::Dial("23456".into())));
        assert_eq!(parse("dial sip:bob@example.com"), Ok(Command::Dial("sip:bob@example.com".into())));
        assert_eq!(parse("answer"), Ok(Command::Answer(None)));
        assert_eq!(parse("hangup 3"), Ok(Command::Hangup(Some(3))));
        assert_eq!(parse("hold"), Ok(Command::Hold(None)));
        assert_eq!(parse("resume 2"), Ok(Command::Resume(Some(2))));
        assert_eq!(parse("transfer 555"), Ok(Command::Transfer(Some("555".into()))));
        assert_eq!(parse("transfer"), Ok(Command::Transfer(None)));
        assert_eq!(parse("messages"), Ok(Command::Messages));
        assert_eq!(parse("speed 3"), Ok(Command::Speed(3)));
        assert!(parse("speed 9").is_err() && parse("speed x").is_err() && parse("transfer 1 2").is_err());
        assert_eq!(parse("forward 0800123"), Ok(Command::Forward(Some("0800123".into()))));
        assert_eq!(parse("forward off"), Ok(Command::Forward(None)));
        assert_eq!(parse("dnd on"), Ok(Command::Dnd(true)));
        assert!(matches!(parse("dnd maybe"), Err(ParseError::Usage(_))));
        assert_eq!(parse("swap"), Ok(Command::Swap));
        assert_eq!(parse("dtmf 12*#ad"), Ok(Command::Dtmf("12*#AD".into())));
        assert_eq!(parse("calls"), Ok(Command::Calls));
        assert_eq!(parse("?"), Ok(Command::Help));
        assert_eq!(parse("EXIT"), Ok(Command::Quit));
    }

    #[test]
    fn mistakes_say_how_or_that_it_is_unknown() {
        assert_eq!(parse("reg 2 1"), Err(ParseError::Usage(REG_USAGE)));
        assert_eq!(parse("reg 1 7"), Err(ParseError::Usage(REG_USAGE)));
        assert_eq!(parse("reg 1"), Err(ParseError::Usage(REG_USAGE)));
        assert_eq!(parse("test key"), Err(ParseError::Usage(KEY_USAGE)));
        assert_eq!(parse("test key soft9"), Err(ParseError::Usage(KEY_USAGE)));
        assert_eq!(parse("test key 12x"), Err(ParseError::Usage(KEY_USAGE)));
        assert_eq!(parse("test banana"), Err(ParseError::Usage(TEST_USAGE)));
        assert!(matches!(parse("dial"), Err(ParseError::Usage(_))));
        assert!(matches!(parse("dial 1 2"), Err(ParseError::Usage(_))));
        assert!(matches!(parse("hangup x"), Err(ParseError::Usage(_))));
        assert!(matches!(parse("dtmf 12x"), Err(ParseError::Usage(_))));
        assert_eq!(parse("frobnicate  now"), Err(ParseError::Unknown("frobnicate now".into())));
        assert_eq!(
            parse("sh run").map_err(|e| e.to_string()),
            Err("% Unknown command \"sh run\" (help lists the commands)".into())
        );
    }

    #[test]
    fn what_needs_the_privilege() {
        for free in ["sh reg", "calls", "help", "quit", "debug sip-messages", "tty mon 0", ""] {
            assert!(!parse(free).unwrap().needs_privilege(), "{free}");
        }
        for guarded in
            ["reg 0 1", "reset", "test key 1", "dial 1", "answer", "hangup", "dtmf 1", "erase protflash"]
        {
            assert!(parse(guarded).unwrap().needs_privilege(), "{guarded}");
        }
    }

    #[test]
    fn help_marks_what_a_level_1_session_cannot_do() {
        assert!(help(true).contains("  reset"));
        assert!(!help(true).contains("telnet_level"));
        assert!(help(false).contains("* reset"));
        assert!(help(false).contains("  sh reg"));
        assert!(help(false).ends_with("* needs telnet_level : 2\n"));
    }
}
