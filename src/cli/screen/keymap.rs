//! What a key does on the screen. Every key becomes a console line (`test key 5`,
//! `test key soft1`, `test offhook`, `quit`, or whatever was typed at the `:` prompt), so
//! the keys do exactly what the console does. Pure: the screen as shown, the prompt
//! being typed (if open) and the key in; an [`Action`] out.
//!
//! | key | does |
//! | --- | --- |
//! | `0`-`9` `*` `#` | keypad (`test key D`) |
//! | F1..F4, Alt-1..Alt-4 | softkeys 1..4 (`test key softN`) |
//! | F5..F10 | line keys 1..6 (`test key lineN`) |
//! | Enter | off hook: answers, or dials the digits (`test offhook`) |
//! | Backspace | `<<`: the softkey so labelled, when shown |
//! | `:` | a command prompt: Enter runs the line on the console, Escape closes it |
//! | `q`, Escape | quit, when no call is up and nothing typed |
//! | Ctrl-C | quit (as SIGINT) |
//! | Ctrl-L | draw everything again |

use super::Screen;
use crate::io::terminal::keys::Key;

/// What to do about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Run this line on the screen's console session.
    Console(String),
    /// Draw the screen again from scratch.
    Redraw,
    /// Say this on the status line (a key that does nothing now).
    Hint(&'static str),
    /// Nothing to run (the prompt may have changed: draw).
    Nothing,
}

/// The line that stops the phone.
const QUIT: &str = "quit";

/// What `key` does on `screen`; `prompt` is the `:` line being typed (`None` when closed)
/// and is edited here.
pub fn action(screen: &Screen, prompt: &mut Option<String>, key: Key) -> Action {
    if let Some(text) = prompt.as_mut() {
        return match key {
            Key::Char(c) => {
                text.push(c);
                Action::Nothing
            }
            Key::Backspace if !text.is_empty() => {
                text.pop();
                Action::Nothing
            }
            Key::CtrlU => {
                text.clear();
                Action::Nothing
            }
            Key::Enter => {
                let line = prompt.take().unwrap_or_default();
                if line.trim().is_empty() { Action::Nothing } else { Action::Console(line) }
            }
            Key::Backspace | Key::Esc | Key::CtrlC => {
                *prompt = None;
                Action::Nothing
            }
            _ => Action::Nothing,
        };
    }
    let console = |line: String| Action::Console(line);
    match key {
        Key::Char(c @ ('0'..='9' | '*' | '#')) => console(format!("test key {c}")),
        Key::Char(':') => {
            *prompt = Some(String::new());
            Action::Nothing
        }
        Key::F(n @ 1..=4) => console(format!("test key soft{n}")),
        Key::Alt(c @ '1'..='4') => console(format!("test key soft{c}")),
        Key::F(n @ 5..=10) => console(format!("test key line{}", n - 4)),
        Key::Enter => console("test offhook".into()),
        Key::Backspace => match screen.softkeys.iter().position(|k| *k == Some("<<")) {
            Some(i) => console(format!("test key soft{}", i + 1)),
            None => Action::Nothing,
        },
        Key::Char('q') | Key::Esc if screen.is_idle() => console(QUIT.into()),
        Key::Char('q') | Key::Esc => Action::Hint("q quits when no call is up and nothing is typed"),
        Key::CtrlC => console(QUIT.into()),
        Key::CtrlL => Action::Redraw,
        _ => Action::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{CallRow, Entry};
    use super::*;

    fn run(screen: &Screen, prompt: &mut Option<String>, key: Key) -> Option<String> {
        match action(screen, prompt, key) {
            Action::Console(line) => Some(line),
            _ => None,
        }
    }

    #[test]
    fn keys_become_console_lines() {
        let idle = Screen { softkeys: [Some("Redial"), Some("NewCall"), None, None], ..Screen::default() };
        let mut p = None;
        assert_eq!(run(&idle, &mut p, Key::Char('7')).as_deref(), Some("test key 7"));
        assert_eq!(run(&idle, &mut p, Key::Char('#')).as_deref(), Some("test key #"));
        assert_eq!(run(&idle, &mut p, Key::F(1)).as_deref(), Some("test key soft1"));
        assert_eq!(run(&idle, &mut p, Key::Alt('4')).as_deref(), Some("test key soft4"));
        assert_eq!(run(&idle, &mut p, Key::F(5)).as_deref(), Some("test key line1"));
        assert_eq!(run(&idle, &mut p, Key::F(10)).as_deref(), Some("test key line6"));
        assert_eq!(run(&idle, &mut p, Key::Enter).as_deref(), Some("test offhook"));
        assert_eq!(run(&idle, &mut p, Key::Char('q')).as_deref(), Some("quit"));
        assert_eq!(run(&idle, &mut p, Key::Esc).as_deref(), Some("quit"));
        assert_eq!(run(&idle, &mut p, Key::CtrlC).as_deref(), Some("quit"));
        assert_eq!(action(&idle, &mut p, Key::CtrlL), Action::Redraw);
        assert_eq!(action(&idle, &mut p, Key::Backspace), Action::Nothing, "no << shown");
        assert_eq!(action(&idle, &mut p, Key::F(11)), Action::Nothing);
        assert_eq!(action(&idle, &mut p, Key::Char('x')), Action::Nothing);
        assert_eq!(p, None);

        // Digits typed: Backspace is the << softkey wherever it is; q no longer quits.
        let dialing = Screen {
            entry: Entry::Dialing { off_hook: true, digits: "12".into(), line: 1 },
            softkeys: [Some("Dial"), Some("EndCall"), Some("<<"), None],
            ..Screen::default()
        };
        assert_eq!(run(&dialing, &mut p, Key::Backspace).as_deref(), Some("test key soft3"));
        assert!(matches!(action(&dialing, &mut p, Key::Char('q')), Action::Hint(_)));
        assert!(matches!(action(&dialing, &mut p, Key::Esc), Action::Hint(_)));
        let in_call = Screen { calls: vec![CallRow { current: true, ..call() }], ..Screen::default() };
        assert!(matches!(action(&in_call, &mut p, Key::Char('q')), Action::Hint(_)));
        assert_eq!(run(&in_call, &mut p, Key::CtrlC).as_deref(), Some("quit"), "Ctrl-C always quits");
    }

    fn call() -> CallRow {
        CallRow {
            id: 1,
            line: Some(1),
            outgoing: true,
            caller: Default::default(),
            state: "Connected",
            timer: Default::default(),
            current: false,
        }
    }

    #[test]
    fn the_prompt_collects_a_console_line() {
        let s = Screen::default();
        let mut p = None;
        assert_eq!(action(&s, &mut p, Key::Char(':')), Action::Nothing);
        assert_eq!(p.as_deref(), Some(""));
        for c in "sh regx".chars() {
            assert_eq!(action(&s, &mut p, Key::Char(c)), Action::Nothing, "digits and q are text here");
        }
        action(&s, &mut p, Key::Backspace);
        assert_eq!(p.as_deref(), Some("sh reg"));
        assert_eq!(action(&s, &mut p, Key::F(1)), Action::Nothing, "function keys do nothing while typing");
        assert_eq!(run(&s, &mut p, Key::Enter).as_deref(), Some("sh reg"));
        assert_eq!(p, None, "Enter closes the prompt");

        // Escape, Ctrl-C, or Backspace on an empty line close it without running anything.
        for close in [Key::Esc, Key::CtrlC, Key::Backspace] {
            p = Some(String::new());
            assert_eq!(action(&s, &mut p, close), Action::Nothing);
            assert_eq!(p, None, "{close:?}");
        }
        p = Some("dial 1".into());
        action(&s, &mut p, Key::CtrlU);
        assert_eq!(p.as_deref(), Some(""));
        assert_eq!(action(&s, &mut p, Key::Enter), Action::Nothing, "an empty line runs nothing");
        assert_eq!(p, None);
    }
}
