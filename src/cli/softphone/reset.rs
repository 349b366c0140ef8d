//! `reset` and SIGHUP, as the firmware's reset: the files are read again (from the
//! directory or the TFTP server the phone booted from) and the lines restarted with them.
//! A check-sync NOTIFY does the same when the new files' `sync` differs from the running
//! one.
//!
//! ```text
//!  read the files (as at boot) ─ errors? ─▶ refused: the phone goes on unchanged
//!     │ ok
//!  hang up every call, un-register (≤ STOP_WITHIN) ─▶ a new phone with the new files
//!  (same SIP port: same socket; another port: bound first, the old one then closed)
//!     ─▶ the telnet console as telnet_level now says ─▶ register (unless --no-register)
//! ```

use super::{Controller, STOP_WITHIN};
use crate::cli::boot::{Reloaded, new_phone, reload_config, start_phone};
use std::net::SocketAddr;
use std::time::Instant;

impl Controller<'_> {
    /// Re-reads the files and restarts the lines; returns what happened, in words.
    pub(super) async fn reset(&mut self) -> String {
        match reload_config(self.cli).await {
            Ok(reloaded) => self.reset_with(reloaded).await,
            Err(e) => format!("% reset refused, the phone goes on as it was: {e}"),
        }
    }

    /// Restarts the lines with files already read again (`reset`, SIGHUP, and check-sync
    /// when `sync` changed).
    pub(super) async fn reset_with(&mut self, reloaded: Reloaded) -> String {
        let Reloaded { config, mac, dial_plan } = reloaded;
        let now = Instant::now();
        let live: Vec<_> = self.calls.iter().map(|c| c.id).collect();
        for id in live {
            self.driver.phone.hangup(now, id);
        }
        self.driver.phone.unregister_all(now);
        self.settle(now + STOP_WITHIN, |c| c.calls.is_empty() && !c.driver.phone.registration_busy()).await;
        self.finish_all_media().await;
        if self.stop.is_some() {
            return "reset interrupted: stopping".into();
        }
        self.calls.clear();
        self.answer_at.clear();
        self.hangup_at.clear();
        self.timed.clear();
        self.keypad.on_hook();
        let local = self.driver.local_addr();
        let port = config.nat.voip_control_port;
        let mut said = String::new();
        if port == local.port() {
            self.driver.phone = new_phone(config, mac, local);
            self.driver.phone.set_dial_plan(dial_plan);
        } else {
            let addr = SocketAddr::new(self.options.bind, port);
            match start_phone(config, mac, addr, self.options.trace).await {
                Ok(driver) => {
                    self.driver = driver;
                    self.driver.phone.set_dial_plan(dial_plan);
                    said = format!("reset: SIP now on {}\n", self.driver.local_addr());
                }
                Err(e) => said = format!("% reset: {e}; the phone keeps its old files\n"),
            }
        }
        self.update_tap();
        self.telnet_as_configured().await;
        if self.options.register {
            self.driver.phone.register_all(Instant::now());
        }
        let rows = self.driver.phone.registrations(Instant::now()).len();
        said + &format!("reset: the files were read again; {rows} registration(s) restarted")
    }

    /// Check-sync, as the firmware: the files are read again, and the phone restarts with
    /// them (as `reset`) only when their `sync` value differs from the running one.
    pub(super) async fn check_sync(&mut self) -> String {
        let reloaded = match reload_config(self.cli).await {
            Ok(r) => r,
            Err(e) => return format!("% the files cannot be read, the phone goes on as it was: {e}"),
        };
        let running = self.driver.phone.config().management.sync.clone();
        let new = reloaded.config.management.sync.clone();
        if new == running {
            return format!("sync is still {running:?}: nothing to do");
        }
        let said = self.reset_with(reloaded).await;
        format!("sync {running:?} -> {new:?}\n{said}")
    }
}
