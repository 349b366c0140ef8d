//! Keeps ALSA's own error lines off stderr.
//!
//! alsa-lib reports problems by printing them (`ALSA lib pcm.c:2666:(snd_pcm_open_noupdate)
//! Unknown PCM default`, eight lines for one missing device) before returning an error code.
//! While a [`Quiet`] is alive, ALSA messages raised on this thread go to a buffer instead;
//! [`Quiet::last_message`] gives the last of them, to fold into our own one-line error.
//! The redirection is per thread (alsa-lib's thread-local handler), so it never affects
//! cpal's callback threads or other threads. The alsa crate offers no way to take the handler
//! off again, so on a thread that made a [`Quiet`] ALSA stays quiet afterwards too (its
//! messages go to the last buffer, unread), which is what this program wants anyway.

/// ALSA's messages on this thread are captured while this lives.
pub struct Quiet {
    #[cfg(target_os = "linux")]
    buffer: Option<std::rc::Rc<std::cell::RefCell<alsa::Output>>>,
}

impl Quiet {
    /// Starts capturing (a no-op where there is no ALSA).
    pub fn new() -> Quiet {
        Quiet {
            #[cfg(target_os = "linux")]
            buffer: alsa::Output::local_error_handler().ok(),
        }
    }

    /// The last message ALSA raised since [`Quiet::new`], as `ALSA: <message>`.
    pub fn last_message(&self) -> Option<String> {
        #[cfg(target_os = "linux")]
        {
            let buffer = self.buffer.as_ref()?;
            let text = buffer.try_borrow().ok()?.buffer_string(|b| String::from_utf8_lossy(b).into_owned());
            // Each line is "function: message".
            let line = text.lines().rev().map(str::trim).find(|l| !l.is_empty())?;
            let message = line.split_once(": ").map_or(line, |(_, m)| m).trim();
            Some(format!("ALSA: {message}"))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_captured_is_none() {
        assert_eq!(Quiet::new().last_message(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_unknown_pcm_is_captured_not_printed() {
        let quiet = Quiet::new();
        let opened = alsa::pcm::PCM::new("sip7940_no_such_pcm", alsa::Direction::Playback, true);
        assert!(opened.is_err());
        let message = quiet.last_message().unwrap_or_default();
        assert!(message.starts_with("ALSA: "), "{message}");
        assert!(message.contains("sip7940_no_such_pcm"), "{message}");
    }
}
