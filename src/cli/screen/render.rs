//! The screen as rows of text: the LCD at a fixed width ([`render`]), and the whole
//! terminal frame ([`frame`]): the LCD, the key help, the event log filling what is left,
//! and the `:` command prompt on the last row.

use super::{Entry, Screen, timer};

/// The LCD's width in columns, borders included.
pub const LCD_WIDTH: usize = 1 + 4 * (CELL + 1);

/// A softkey's cell, without its border.
const CELL: usize = 14;

/// The key help under the LCD.
const HELP: [&str; 2] = [
    " 0-9*# keypad  F1-F4/Alt-1..4 softkeys  F5-F10 lines 1-6",
    " Enter offhook/dial  Bksp <<  : command  q/Esc quit (idle)",
];

/// The LCD as rows of exactly [`LCD_WIDTH`] characters.
pub fn render(screen: &Screen) -> Vec<String> {
    let border = format!("+{}+", "-".repeat(LCD_WIDTH - 2));
    let mut rows =
        vec![border.clone(), row(&format!("{}  {}", screen.time, screen.date), &screen.label), border];
    for line in &screen.lines {
        let mark = if line.selected { '>' } else { ' ' };
        rows.push(row(&format!("{mark}{}  {}", line.key, line.label), line.state));
    }
    if screen.lines.is_empty() {
        rows.push(row(" no line provisioned", ""));
    }
    rows.push(row("", ""));
    rows.extend(call_rows(screen));
    rows.push(match &screen.entry {
        Entry::OnHook => row("", ""),
        Entry::Dialing { off_hook, digits, line } => {
            let hook = if *off_hook { format!("off hook, line {line}") } else { format!("line {line}") };
            row(&format!("  Dial: {digits}_"), &hook)
        }
    });
    rows.push(row(&format!("  {}", screen.status), ""));
    let bar = format!("+{}", format!("{}+", "-".repeat(CELL)).repeat(4));
    rows.push(bar.clone());
    let labels: String =
        screen.softkeys.iter().map(|k| format!("{}|", centred(k.unwrap_or(""), CELL))).collect();
    rows.push(format!("|{labels}"));
    rows.push(bar);
    let hints: String = (1..=4).map(|n| format!("{} ", centred(&format!("F{n}"), CELL))).collect();
    rows.push(format!(" {hints}"));
    rows
}

/// The current call in three rows (name, number and line, state and timer), then the
/// other calls in one.
fn call_rows(screen: &Screen) -> Vec<String> {
    let Some(call) = screen.current() else { return vec![row("", ""); 4] };
    let (first, second) = match &call.caller.name {
        Some(name) => (name.clone(), call.caller.number.clone()),
        None => (call.caller.number.clone(), String::new()),
    };
    let whence = match call.line {
        Some(line) if call.outgoing => format!("line {line}, call {}", call.id),
        _ => format!("incoming, call {}", call.id),
    };
    let others: Vec<String> = screen
        .calls
        .iter()
        .filter(|c| !c.current)
        .map(|c| format!("{} {} {}", c.id, c.state, timer(c.timer)))
        .collect();
    let others = if others.is_empty() { String::new() } else { format!("  also: {}", others.join(", ")) };
    vec![
        row(&format!("  {first}"), ""),
        row(&format!("  {second}"), &whence),
        row(&format!("  {}", call.state), &timer(call.timer)),
        row(&others, ""),
    ]
}

/// `| left ... right |`, exactly [`LCD_WIDTH`] wide: `left` is cut to leave room for
/// `right`.
fn row(left: &str, right: &str) -> String {
    let inner = LCD_WIDTH - 4;
    let right: String = right.chars().take(inner).collect();
    let room = inner - right.chars().count();
    let left = cut(left, room.saturating_sub(usize::from(!right.is_empty())));
    let gap = room - left.chars().count();
    format!("| {left}{}{right} |", " ".repeat(gap))
}

/// `text` centred in `width` columns (cut when longer).
fn centred(text: &str, width: usize) -> String {
    let text = cut(text, width);
    let pad = width - text.chars().count();
    format!("{}{text}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
}

/// At most `width` characters of `text`.
fn cut(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

/// What goes on the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The rows from the top, none wider than the terminal.
    pub rows: Vec<String>,
    /// Where the cursor is shown (row, column, from 0); hidden when none.
    pub cursor: Option<(usize, usize)>,
}

/// The frame for a `cols` × `rows` terminal: the LCD, the key help, the newest lines of
/// `log` that fit, and the command prompt when it is open (always on the last row, with
/// the cursor).
pub fn frame(screen: &Screen, log: &[String], prompt: Option<&str>, cols: usize, rows: usize) -> Frame {
    let mut out = render(screen);
    out.extend(HELP.iter().map(|h| (*h).to_owned()));
    out.push(format!("-- events {}", "-".repeat(LCD_WIDTH - 10)));
    let reserved = usize::from(prompt.is_some());
    let room = rows.saturating_sub(out.len() + reserved);
    out.extend(log.iter().skip(log.len().saturating_sub(room)).cloned());
    out.truncate(rows.saturating_sub(reserved));
    let mut cursor = None;
    if let Some(text) = prompt {
        // The end of a long command stays in view.
        let shown: String = {
            let all: Vec<char> = text.chars().collect();
            all.iter().skip((all.len() + 2).saturating_sub(cols)).collect()
        };
        cursor = Some((out.len(), 1 + shown.chars().count()));
        out.push(format!(":{shown}"));
    }
    Frame { rows: out.into_iter().map(|l| cut(&l, cols)).collect(), cursor }
}

#[cfg(test)]
mod tests {
    use super::super::{CallRow, CallerId, LineRow};
    use super::*;
    use std::time::Duration;

    /// `row` is `| left … right |`, exactly as wide as the LCD.
    fn check(row: &str, left: &str, right: &str) {
        let gap = LCD_WIDTH - 4 - left.chars().count() - right.chars().count();
        assert_eq!(row, format!("| {left}{}{right} |", " ".repeat(gap)));
    }

    fn idle() -> Screen {
        Screen {
            time: "14:57".into(),
            date: "06/11/25".into(),
            label: "Loopback".into(),
            lines: vec![
                LineRow { key: 1, label: "12345".into(), state: "REGISTERED", selected: true },
                LineRow { key: 2, label: "Sales".into(), state: "FAILED", selected: false },
            ],
            calls: vec![],
            entry: Entry::OnHook,
            status: String::new(),
            softkeys: [Some("Redial"), Some("NewCall"), None, None],
        }
    }

    fn call(id: u64, name: Option<&str>, number: &str, state: &'static str, secs: u64) -> CallRow {
        CallRow {
            id,
            line: None,
            outgoing: false,
            caller: CallerId { name: name.map(str::to_owned), number: number.into() },
            state,
            timer: Duration::from_secs(secs),
            current: true,
        }
    }

    #[test]
    fn idle_shows_the_header_the_lines_and_the_idle_softkeys() {
        let rows = render(&idle());
        let text = rows.join("\n");
        assert!(rows.iter().all(|r| r.chars().count() == LCD_WIDTH), "{text}");
        assert_eq!(rows[0], format!("+{}+", "-".repeat(59)));
        check(&rows[1], "14:57  06/11/25", "Loopback");
        check(&rows[3], ">1  12345", "REGISTERED");
        check(&rows[4], " 2  Sales", "FAILED");
        assert_eq!(rows[rows.len() - 3], "|    Redial    |   NewCall    |              |              |");
        assert_eq!(rows[rows.len() - 1].trim_end(), "       F1             F2             F3             F4");
        assert!(!text.contains("Dial:"), "{text}");
    }

    #[test]
    fn ringing_shows_the_caller_id_and_answer() {
        let mut s = idle();
        s.calls = vec![call(3, Some("Line Two"), "23456", "Ringing", 7)];
        s.softkeys = [Some("Answer"), Some("EndCall"), None, None];
        let rows = render(&s);
        check(&rows[6], "  Line Two", "");
        check(&rows[7], "  23456", "incoming, call 3");
        check(&rows[8], "  Ringing", "00:07");
        assert!(rows.join("\n").contains("|    Answer    |   EndCall    |"));
    }

    #[test]
    fn connected_with_its_timer_and_held_with_the_other_calls() {
        let mut s = idle();
        let mut talking = call(1, None, "99999", "Connected", 754);
        (talking.line, talking.outgoing) = (Some(1), true);
        s.calls = vec![talking];
        s.softkeys = [Some("Hold"), Some("EndCall"), Some("Transfer"), None];
        let rows = render(&s);
        check(&rows[6], "  99999", "");
        check(&rows[7], "", "line 1, call 1");
        check(&rows[8], "  Connected", "12:34");
        assert!(rows.join("\n").contains("|     Hold     |   EndCall    |   Transfer   |"));

        let mut held = call(1, None, "99999", "On Hold", 3725);
        held.current = true;
        let mut other = call(2, Some("Bob"), "555", "Ringing", 4);
        other.current = false;
        s.calls = vec![held, other];
        s.softkeys = [Some("Resume"), Some("EndCall"), None, None];
        let rows = render(&s);
        check(&rows[8], "  On Hold", "1:02:05");
        check(&rows[9], "  also: 2 Ringing 00:04", "");
        assert!(rows.join("\n").contains("|    Resume    |   EndCall    |"));
    }

    #[test]
    fn digits_typed_and_the_status_line() {
        let mut s = idle();
        s.entry = Entry::Dialing { off_hook: false, digits: "99999".into(), line: 1 };
        s.softkeys = [Some("Dial"), Some("EndCall"), Some("<<"), None];
        s.status = "call 1: Ended: 404 Not Found".into();
        let rows = render(&s);
        check(&rows[10], "  Dial: 99999_", "line 1");
        check(&rows[11], "  call 1: Ended: 404 Not Found", "");
        assert!(rows.join("\n").contains("|     Dial     |   EndCall    |      <<      |"));
        s.entry = Entry::Dialing { off_hook: true, digits: String::new(), line: 2 };
        assert!(render(&s)[10].starts_with("|   Dial: _ ") && render(&s)[10].ends_with("off hook, line 2 |"));
        // Too long for the row: cut, never wider.
        s.status = "x".repeat(200);
        assert_eq!(render(&s)[11].chars().count(), LCD_WIDTH);
        s.lines[0].label = "y".repeat(100);
        assert!(render(&s)[3].ends_with("y REGISTERED |"), "{}", render(&s)[3]);
    }

    #[test]
    fn the_frame_fills_the_terminal_with_the_newest_events_and_the_prompt_last() {
        let log: Vec<String> = (1..=40).map(|n| format!("event {n}")).collect();
        let lcd = render(&idle()).len();
        let Frame { rows, cursor } = frame(&idle(), &log, None, 80, 30);
        assert_eq!(rows.len(), 30);
        assert_eq!(rows[lcd], HELP[0]);
        assert!(rows[lcd + 2].starts_with("-- events --"));
        assert_eq!(rows[29], "event 40");
        assert_eq!(rows[lcd + 3], format!("event {}", 40 - (30 - lcd - 3) + 1));
        assert_eq!(cursor, None);

        let Frame { rows, cursor } = frame(&idle(), &log, Some("sh reg"), 80, 30);
        assert_eq!((rows.len(), rows[29].as_str(), rows[28].as_str()), (30, ":sh reg", "event 40"));
        assert_eq!(cursor, Some((29, 7)));

        // A small terminal: cut to its size, the prompt still on the last row.
        let Frame { rows, cursor } = frame(&idle(), &log, Some(&"z".repeat(50)), 20, 5);
        assert_eq!(rows.len(), 5);
        assert!(rows.iter().all(|r| r.chars().count() <= 20));
        assert_eq!(rows[4], format!(":{}", "z".repeat(18)));
        assert_eq!(cursor, Some((4, 19)));
        let Frame { rows, .. } = frame(&idle(), &[], None, 100, 50);
        assert_eq!(rows.len(), lcd + 3, "no padding below the events");
    }
}
