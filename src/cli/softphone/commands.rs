//! Console commands carried out on the phone: each returns the text the session reads
//! (errors start with `%`, as the console's parse errors do). What follows later — the
//! registration answered, the call connected — arrives as events.

use super::Controller;
use super::calls::held_by_us;
use super::keys::{DigitDecision, Situation, Soft, softkeys};
use crate::cli::console::{Command, Key, RegTarget};
use crate::config::dialplan::Outcome;
use crate::io::console::SessionId;
use crate::ua::call::{CallId, CallState};
use crate::ua::registration::table::sh_reg;
use crate::ua::registration::{Binding, Snapshot};
use std::time::Instant;

impl Controller<'_> {
    /// Carries out `command` for session `from`; returns what to write back.
    pub(super) async fn run_command(&mut self, from: SessionId, command: Command) -> String {
        let answer = match command {
            Command::ShowRegister => Ok(self.sh_reg()),
            Command::Register { on, target } => self.register(on, target),
            Command::Reset => Ok(self.reset().await),
            Command::Erase => {
                Err("% erase protflash: sip7940 keeps no settings of its own; edit the files and reset"
                    .into())
            }
            Command::TestMode(_) | Command::Empty | Command::Monitor(_) | Command::Help => Ok(String::new()),
            Command::TestKey(keys) => {
                let mut out = String::new();
                for key in keys {
                    let said = match key {
                        Key::Digits(digits) => self.press_digits(&digits),
                        Key::Line(n) => self.press_line(n),
                        Key::Soft(n) => self.press_soft(n),
                    };
                    out.push_str(said.unwrap_or_else(|e| e).trim_end());
                    out.push('\n');
                }
                Ok(out)
            }
            Command::Hook(true) => self.off_hook(),
            Command::Hook(false) => self.on_hook(),
            Command::Dial(number) => self.dial(self.keypad.line(), &number),
            Command::Answer(call) => {
                let id = self.pick(call, |c| c.ringing(), "no call is ringing");
                id.and_then(|id| self.answer_call(id))
            }
            Command::Hangup(call) => self.pick(call, |c| c.current(), "no call").map(|id| {
                self.driver.phone.hangup(Instant::now(), id);
                format!("call {}: hanging up\n", id.0)
            }),
            Command::Hold(call) => {
                self.pick(call, |c| c.current(), "no call").and_then(|id| self.hold(id, true))
            }
            Command::Resume(call) => {
                self.pick(call, |c| c.current(), "no call").and_then(|id| self.hold(id, false))
            }
            Command::Transfer(None) => self.transfer_key(),
            Command::Transfer(Some(number)) => self.pick(None, |c| c.current(), "no call").and_then(|id| {
                match self.driver.phone.transfer(Instant::now(), id, &number) {
                    Ok(uri) => Ok(format!("call {}: transferring to {uri}", id.0)),
                    Err(e) => Err(format!("% transfer {number}: {e}")),
                }
            }),
            Command::Forward(target) => match self.driver.phone.set_forward(target.as_deref()) {
                Ok(Some(uri)) => Ok(format!("forwarding all calls to {uri}")),
                Ok(None) => Ok("call forward off".into()),
                Err(e) => Err(format!("% forward: {e}")),
            },
            Command::Dnd(on) => match self.driver.phone.set_dnd(on) {
                Ok(()) => Ok(format!("do not disturb {}", if on { "on" } else { "off" })),
                Err(e) => Err(format!("% dnd: {e}")),
            },
            Command::Swap => self.swap(),
            Command::Messages => self.messages(),
            Command::Speed(n) => self.speed_dial(n),
            Command::Dtmf(digits) => {
                self.pick(None, |c| c.current(), "no call").and_then(|id| self.dtmf(id, &digits))
            }
            Command::Calls => Ok(self.calls.listing(Instant::now())),
            Command::Quit => {
                // Only stdin's `quit` reaches here (a telnet session just closes): it stops the phone.
                if self.consoles.is_local(from) {
                    self.stop = Some("quit");
                }
                Ok(String::new())
            }
        };
        let mut text = answer.unwrap_or_else(|e| e);
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    /// `sh reg`: the firmware's table.
    fn sh_reg(&self) -> String {
        let phone = &self.driver.phone;
        let (lines, backup): (Vec<Snapshot>, Vec<Snapshot>) = phone
            .registrations(Instant::now())
            .into_iter()
            .partition(|s| matches!(s.binding, Binding::Line(_)));
        sh_reg(phone.config().registration.proxy_register, &lines, backup.first())
    }

    /// `reg 1 N` / `reg 0 N` / `reg 1 backup`.
    fn register(&mut self, on: bool, target: RegTarget) -> Result<String, String> {
        let binding = match target {
            RegTarget::Line(n) => Binding::Line(n),
            RegTarget::Backup => Binding::Backup,
        };
        if !self.driver.phone.set_registered(Instant::now(), binding, on) {
            return Err(match target {
                RegTarget::Line(n) => format!("% line {n} is not provisioned"),
                RegTarget::Backup => "% no backup registration (proxy_backup is not set)".into(),
            });
        }
        Ok(format!("line {binding}: {}", if on { "registering" } else { "un-registering" }))
    }

    /// The call a verb means: the one numbered, else `pick`'s choice.
    fn pick(
        &self,
        call: Option<u64>,
        pick: impl Fn(&super::calls::CallTable) -> Option<CallId>,
        none: &str,
    ) -> Result<CallId, String> {
        match call {
            Some(n) if self.calls.get(CallId(n)).is_some() => Ok(CallId(n)),
            Some(n) => Err(format!("% no call {n} (see calls)")),
            None => pick(&self.calls).ok_or_else(|| format!("% {none}")),
        }
    }

    /// Answers a ringing call with RTP on a freshly bound port.
    pub(super) fn answer_call(&mut self, id: CallId) -> Result<String, String> {
        let ringing = self.calls.get(id).is_some_and(|c| !c.outgoing && c.state == CallState::Ringing);
        if !ringing {
            return Err(format!("% call {} is not ringing", id.0));
        }
        let sockets =
            self.media.bind(self.driver.phone.config()).map_err(|e| format!("% call {}: {e}", id.0))?;
        let port = sockets.port().unwrap_or(self.driver.phone.config().nat.start_media_port);
        self.media.keep(id, sockets);
        self.driver.phone.answer(Instant::now(), id, port);
        Ok(format!("call {}: answering", id.0))
    }

    /// Places a call to `number` from `line` through the dial plan (as if typed, then `#`).
    fn dial(&mut self, line: usize, number: &str) -> Result<String, String> {
        let outcome = self.driver.phone.dial_plan().apply(line, number);
        self.place(line, outcome)
    }

    /// Places the call the dial plan made of what was typed, with RTP on a freshly bound
    /// port.
    fn place(&mut self, line: usize, outcome: Outcome) -> Result<String, String> {
        let config = self.driver.phone.config();
        if !config.lines.get(line.wrapping_sub(1)).is_some_and(|l| l.is_provisioned()) {
            return Err(format!("% line {line} is not provisioned"));
        }
        let number = outcome.dial.number.clone();
        let sockets = self.media.bind(config).map_err(|e| format!("% cannot dial {number}: {e}"))?;
        let port = sockets.port().unwrap_or(config.nat.start_media_port);
        let now = Instant::now();
        let plan = outcome.template.map(|_| format!(" (dial plan: {outcome})")).unwrap_or_default();
        match self.driver.phone.call(now, line, &outcome.dial, port) {
            Ok(id) => {
                self.media.keep(id, sockets);
                self.calls.placed(id, line, &number, now);
                self.keypad.last_dialed = Some(outcome.typed.clone());
                Ok(format!("call {}: dialing {number} from line {line}{plan}", id.0))
            }
            Err(reason) => Err(format!("% cannot dial {number}: {reason}")),
        }
    }

    /// `hold` (true) / `resume` (false).
    fn hold(&mut self, id: CallId, hold: bool) -> Result<String, String> {
        let now = Instant::now();
        if !hold && self.transfer_from == Some(id) {
            // Back to the held call: the transfer is off.
            self.transfer_from = None;
        }
        let done = if hold { self.driver.phone.hold(now, id) } else { self.driver.phone.resume(now, id) };
        match (done, hold) {
            (true, true) => Ok(format!("call {}: putting on hold", id.0)),
            (true, false) => Ok(format!("call {}: resuming", id.0)),
            (false, _) => Err(format!("% call {} is not answered", id.0)),
        }
    }

    /// `swap`: the talking call goes on hold and the held one is resumed.
    fn swap(&mut self) -> Result<String, String> {
        let talking = self.calls.iter().find(|c| c.state == CallState::Connected).map(|c| c.id);
        let held = self.calls.iter().find(|c| held_by_us(&c.state)).map(|c| c.id);
        match (talking, held) {
            (Some(a), Some(b)) if self.driver.phone.swap(Instant::now(), a, b) => {
                Ok(format!("call {}: on hold; call {}: resuming", a.0, b.0))
            }
            _ => Err("% swap: needs one talking call and one held".into()),
        }
    }

    /// `dtmf DIGITS` (and keypad digits in a call).
    fn dtmf(&mut self, id: CallId, digits: &str) -> Result<String, String> {
        let talking =
            self.calls.get(id).is_some_and(|c| matches!(c.state, CallState::Connected | CallState::Held(_)));
        if !talking || !self.media.send_dtmf(id, digits) {
            return Err(format!("% call {} is not connected", id.0));
        }
        Ok(format!("call {}: sending DTMF {digits}", id.0))
    }

    /// What the softkeys see.
    pub(super) fn situation(&self) -> Situation {
        if self.consultation().is_some() {
            return Situation::Consulting;
        }
        let current = self.calls.current().and_then(|id| self.calls.get(id));
        match current.map(|c| (&c.state, c.outgoing)) {
            Some((CallState::Connected, _)) => Situation::Connected,
            Some((state @ CallState::Held(_), _)) if held_by_us(state) => Situation::Held,
            Some((CallState::Held(_), _)) => Situation::Connected,
            Some((CallState::Ringing, false)) => Situation::Ringing,
            Some(_) => Situation::Outgoing,
            None => Situation::Idle,
        }
    }

    /// Keypad digits: DTMF in a connected call, else collected (and dialled when complete).
    fn press_digits(&mut self, digits: &str) -> Result<String, String> {
        if self.situation() == Situation::Connected
            && let Some(id) = self.calls.current()
        {
            return self.dtmf(id, digits);
        }
        self.keypad.press(digits, Instant::now());
        let collected = format!("digits: {}", self.keypad.digits());
        match self.dial_collected(Instant::now()) {
            Some(dialled) => Ok(format!("{collected}\n{dialled}")),
            None => Ok(collected),
        }
    }

    /// Dials the keypad's digits when the collector says so; what happened, if anything.
    pub(super) fn dial_collected(&mut self, now: Instant) -> Option<String> {
        match self.keypad.decide(self.driver.phone.dial_plan(), now)? {
            DigitDecision::Wait(_) => None,
            DigitDecision::Dial(outcome) => {
                self.keypad.take_digits();
                Some(self.place(self.keypad.line(), outcome).unwrap_or_else(|e| e))
            }
        }
    }

    /// `messages`, the Messages key: dials `messages_uri` from the selected line.
    fn messages(&mut self) -> Result<String, String> {
        let number = self.driver.phone.config().features.messages_uri.trim().to_owned();
        if number.is_empty() {
            return Err("% messages: messages_uri is not set".into());
        }
        self.dial(self.keypad.line(), &number)
    }

    /// `speed N`: dials `speed_lineN` from the selected line.
    fn speed_dial(&mut self, n: usize) -> Result<String, String> {
        let speed = self.driver.phone.config().features.speed_dials.get(n.wrapping_sub(1));
        match speed.map(|s| s.number.trim().to_owned()).filter(|s| !s.is_empty()) {
            Some(number) => self.dial(self.keypad.line(), &number),
            None => Err(format!("% speed dial {n}: speed_line{n} is not set")),
        }
    }

    /// A line key: picks the line (off hook on it when idle); a key whose line is not
    /// provisioned but has a speed dial (`speed_lineN`) dials it.
    fn press_line(&mut self, line: usize) -> Result<String, String> {
        if !self.driver.phone.config().lines.get(line - 1).is_some_and(|l| l.is_provisioned()) {
            let speed = self.driver.phone.config().features.speed_dials.get(line - 1);
            if speed.is_some_and(|s| !s.number.trim().is_empty()) {
                return self.speed_dial(line);
            }
            return Err(format!("% line {line} is not provisioned"));
        }
        self.keypad.select_line(line);
        if self.situation() == Situation::Idle {
            self.keypad.off_hook(Some(line));
            return Ok(format!("line {line}: off hook"));
        }
        Ok(format!("line {line} selected"))
    }

    /// Softkey `n` as labelled in the current situation.
    fn press_soft(&mut self, n: usize) -> Result<String, String> {
        let keys = softkeys(self.situation(), self.keypad.is_off_hook(), !self.keypad.digits().is_empty());
        let Some(soft) = keys.get(n - 1).copied().flatten() else {
            return Err(format!("% softkey {n} has no function now"));
        };
        let label = soft.label();
        let result = match soft {
            Soft::Redial => match self.keypad.last_dialed.clone() {
                Some(number) => self.dial(self.keypad.line(), &number),
                None => Err("% nothing to redial".into()),
            },
            Soft::NewCall => {
                self.keypad.off_hook(None);
                Ok("off hook".into())
            }
            Soft::Dial => {
                let number = self.keypad.take_digits();
                self.dial(self.keypad.line(), &number)
            }
            Soft::Back => {
                self.keypad.back();
                Ok(format!("digits: {}", self.keypad.digits()))
            }
            Soft::EndCall => self.on_hook(),
            Soft::Answer => self.off_hook(),
            Soft::Hold => self.pick(None, |c| c.current(), "no call").and_then(|id| self.hold(id, true)),
            Soft::Resume => self.pick(None, |c| c.current(), "no call").and_then(|id| self.hold(id, false)),
            Soft::Transfer => self.transfer_key(),
        };
        let said = result.unwrap_or_else(|e| e);
        Ok(format!("soft{n} ({label}): {}", said.trim_end()))
    }

    /// `test offhook`: answers the ringing call, else dials pre-dialled digits, else waits
    /// for digits.
    fn off_hook(&mut self) -> Result<String, String> {
        match self.situation() {
            Situation::Ringing => {
                let id = self.calls.ringing().ok_or_else(|| "% no call is ringing".to_owned())?;
                self.keypad.off_hook(None);
                self.answer_call(id)
            }
            Situation::Idle => {
                self.keypad.off_hook(None);
                if self.keypad.digits().is_empty() {
                    return Ok(format!("off hook, line {}: dial", self.keypad.line()));
                }
                let number = self.keypad.take_digits();
                self.dial(self.keypad.line(), &number)
            }
            _ => Ok("off hook".into()),
        }
    }

    /// `test onhook`: hangs the current call up (during a transfer: the consultation
    /// call), or drops the digits.
    fn on_hook(&mut self) -> Result<String, String> {
        self.keypad.on_hook();
        if let Some(said) = self.end_consultation() {
            return Ok(said);
        }
        match self.calls.current() {
            Some(id) => {
                self.driver.phone.hangup(Instant::now(), id);
                Ok(format!("call {}: hanging up", id.0))
            }
            None => Ok("on hook".into()),
        }
    }
}
