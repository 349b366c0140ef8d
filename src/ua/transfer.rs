//! Blind transfer with REFER (RFC 3515), both ways.
//!
//! ```text
//!  transferor (we)                 transferee (far end)               target
//!   transfer(call, N) ─REFER, Refer-To: <sip:N@domain>─▶
//!                     ◀──────────────── 202 ── Accepted
//!                     ◀─ NOTIFY sipfrag "SIP/2.0 100 Trying" (200) ─ Status(100)
//!                                                        ─INVITE──────────▶
//!                     ◀─ NOTIFY sipfrag "SIP/2.0 200 OK" (200) ──── Succeeded: BYE the call
//!                        (a final failure: Failed, the call stays;
//!                         no NOTIFY 4 s after the 202: Succeeded, BYE)
//!
//!  transferee (we)                 transferor
//!   ◀─REFER─ 202 ─▶ NOTIFY "100 Trying" · Event Asked { target }
//!   follow_transfer(call, rtp_port): new call to the target ─ Placed { call }
//!      its 180 ─▶ NOTIFY "180 Ringing"; answered ─▶ NOTIFY "200 OK" (terminated);
//!      failed ─▶ NOTIFY "<code> <reason>" (terminated)
//!   decline_transfer(call): NOTIFY "603 Declined" (terminated)
//! ```
//! The transferee's NOTIFYs go out at the next [`Phone::handle_timeout`] (due at once), so
//! the 202 leaves first. A Refer-To's embedded `Replaces` (an attended transfer, see
//! [`super::attended`]) goes into the INVITE to the target, with the REFER's
//! `Referred-By`; other embedded headers are dropped.

use super::call::{CallId, CallState, EndReason};
use super::phone::{Event, Output, Phone};
use crate::config::dialplan::Dial;
use crate::sip::message::{HeaderName, Message, Method};
use crate::sip::replaces::Replaces;
use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

/// How long after the 202 the transferor waits for a first NOTIFY before it hangs up.
pub const NOTIFY_WAIT: Duration = Duration::from_secs(4);

/// How a transfer moves on (in [`Event::Transfer`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferProgress {
    /// Transferor: our REFER to `target` went out.
    Referred {
        /// The Refer-To URI.
        target: String,
    },
    /// Transferor: the far end accepted the REFER (2xx).
    Accepted,
    /// Transferor: the far end's call to the target reached this provisional status.
    Status(u16),
    /// Transferor: the target answered (or the far end said nothing for 4 s after its
    /// 202); our call is hung up.
    Succeeded,
    /// Transferor: the REFER was refused or the far end's call failed; our call stays.
    /// Transferee: placing the call failed.
    Failed {
        /// Why, in words (`486 Busy Here`, `REFER refused: 403 Forbidden`, …).
        reason: String,
    },
    /// Transferee: the far end asks us to call `target` and leave this call. Call
    /// [`Phone::follow_transfer`] (with an RTP port) or [`Phone::decline_transfer`].
    Asked {
        /// The Refer-To URI (embedded headers dropped).
        target: String,
        /// The REFER carried a `Replaces`: an attended transfer, the target takes the
        /// call over from the transferor without ringing.
        attended: bool,
    },
    /// Transferee: the new call to the target was placed.
    Placed {
        /// The new call.
        call: CallId,
    },
}

impl std::fmt::Display for TransferProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransferProgress::Referred { target } => write!(f, "REFER to {target} sent"),
            TransferProgress::Accepted => f.write_str("accepted"),
            TransferProgress::Status(code) => write!(f, "the far end's call: {code}"),
            TransferProgress::Succeeded => f.write_str("done, hanging up"),
            TransferProgress::Failed { reason } => write!(f, "failed: {reason}"),
            TransferProgress::Asked { target, attended: false } => {
                write!(f, "the far end transfers us to {target}")
            }
            TransferProgress::Asked { target, attended: true } => {
                write!(f, "the far end transfers us to {target} (attended: it replaces their call)")
            }
            TransferProgress::Placed { call } => write!(f, "calling the target (call {})", call.0),
        }
    }
}

/// Why [`Phone::transfer`] could not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferError {
    /// The call is not answered (or already ending).
    NotAnswered,
    /// A transfer of this call is already under way.
    InProgress,
    /// The target is neither a number nor a SIP URI.
    BadTarget(String),
    /// No transfer of this call was asked for (transferee side).
    NotAsked,
    /// Attended transfer: the consultation call is not a call of ours.
    NoConsultation,
    /// Attended transfer: the consultation call is not answered yet and
    /// `semi_attended_transfer : 0` asks to wait for the answer.
    ConsultationNotAnswered,
}

impl std::fmt::Display for TransferError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransferError::NotAnswered => f.write_str("the call is not answered"),
            TransferError::InProgress => f.write_str("a transfer of this call is under way"),
            TransferError::BadTarget(t) => write!(f, "{t:?} is not a number or SIP URI"),
            TransferError::NotAsked => f.write_str("no transfer of this call was asked for"),
            TransferError::NoConsultation => f.write_str("there is no consultation call to transfer to"),
            TransferError::ConsultationNotAnswered => f.write_str(
                "the consultation call is not answered yet (semi_attended_transfer : 0: wait for the answer)",
            ),
        }
    }
}

impl std::error::Error for TransferError {}

/// A transfer we asked for (transferor).
#[derive(Debug)]
struct Referred {
    accepted: bool,
    /// A NOTIFY came (maybe before the 202).
    notified: bool,
    /// Hang up if no NOTIFY came by then (set at the 202).
    hang_up_at: Option<Instant>,
    /// Attended transfer: the consultation call, hung up too when the transfer succeeds.
    consultation: Option<CallId>,
}

/// A transfer the far end asked of us (transferee).
#[derive(Debug)]
struct Asked {
    target: String,
    replaces: Option<Replaces>,
    referred_by: Option<String>,
}

/// A NOTIFY the transferee still has to send.
#[derive(Debug)]
struct PendingNotify {
    at: Instant,
    call: CallId,
    sipfrag: String,
    terminated: bool,
}

/// Transfers in progress, either way.
#[derive(Debug, Default)]
pub struct Transfers {
    referred: BTreeMap<CallId, Referred>,
    /// Transferee: call → what to call, until followed or declined.
    asked: BTreeMap<CallId, Asked>,
    /// Transferee: new call → the call whose REFER it follows.
    placed: BTreeMap<CallId, CallId>,
    notifies: VecDeque<PendingNotify>,
    /// Target of an attended transfer: new call → the call it replaces once connected.
    pub(super) replacing: BTreeMap<CallId, CallId>,
}

impl Transfers {
    /// Whether our transfer of `id` is under way.
    pub(super) fn is_referred(&self, id: CallId) -> bool {
        self.referred.contains_key(&id)
    }

    /// The next transfer deadline, if any.
    pub(super) fn poll_timeout(&self) -> Option<Instant> {
        let waits = self.referred.values().filter_map(|r| r.hang_up_at);
        waits.chain(self.notifies.front().map(|n| n.at)).min()
    }
}

/// The status code of a `message/sipfrag` body's status line (`SIP/2.0 180 Ringing`).
pub fn sipfrag_status(body: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(body);
    let line = text.lines().next()?.trim();
    let mut words = line.split_whitespace();
    let version = words.next()?;
    if !version.eq_ignore_ascii_case("SIP/2.0") {
        return None;
    }
    words.next()?.parse::<u16>().ok().filter(|c| (100..700).contains(c))
}

/// The Refer-To URI of a REFER, without `<>`, parameters of the header or embedded
/// headers, and the `Replaces` embedded in it, if any.
fn refer_to(req: &Message<'_>) -> Option<(String, Option<Replaces>)> {
    let value = req.header(HeaderName::ReferTo)?.value();
    let text = super::session::uri_of_name_addr(&String::from_utf8_lossy(&value));
    let (uri, headers) = text.split_once('?').map_or((text.as_str(), None), |(u, h)| (u, Some(h)));
    let uri = uri.trim().to_owned();
    crate::sip::message::uri::Uri::parse(uri.as_bytes()).ok()?;
    Some((uri, headers.and_then(|h| Replaces::from_uri_headers(h.as_bytes()))))
}

impl Phone {
    /// Blind transfer (the console's `transfer NUMBER`): REFER in the answered call `id`
    /// with `Refer-To` = `target` (a number at line 1's proxy domain, `user@host` or a
    /// `sip:` URI) and `Referred-By` = us. Progress comes as [`Event::Transfer`]; when the
    /// far end's call to the target is answered, this call is hung up. Returns the
    /// Refer-To URI.
    pub fn transfer(&mut self, now: Instant, id: CallId, target: &str) -> Result<String, TransferError> {
        if self.transfers.is_referred(id) {
            return Err(TransferError::InProgress);
        }
        if !self.sessions.get(&id).is_some_and(|(s, _)| s.is_live()) {
            return Err(TransferError::NotAnswered);
        }
        let uri =
            self.forward_uri(target.trim(), 1).ok_or_else(|| TransferError::BadTarget(target.to_owned()))?;
        self.send_refer(now, id, &uri, None)?;
        Ok(uri)
    }

    /// Sends the REFER of call `id` with `Refer-To: <refer_to>` and `Referred-By` = us;
    /// `consultation` is hung up too when the transfer succeeds.
    pub(super) fn send_refer(
        &mut self,
        now: Instant,
        id: CallId,
        refer_to: &str,
        consultation: Option<CallId>,
    ) -> Result<(), TransferError> {
        let referred_by = self
            .sessions
            .get(&id)
            .map(|(s, _)| s.local_uri().split(";tag=").next().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let headers =
            vec![(HeaderName::ReferTo, format!("<{refer_to}>")), (HeaderName::ReferredBy, referred_by)];
        let sent =
            self.with_session_result(now, id, |s, ctx| s.send_in_dialog(ctx, Method::Refer, headers, None));
        if sent != Some(true) {
            return Err(TransferError::NotAnswered);
        }
        let referred = Referred { accepted: false, notified: false, hang_up_at: None, consultation };
        self.transfers.referred.insert(id, referred);
        let target = refer_to.split('?').next().unwrap_or_default().to_owned();
        self.transfer_event(id, TransferProgress::Referred { target });
        Ok(())
    }

    /// Transferee: calls the target the far end's REFER on call `id` named, from line 1,
    /// with RTP on `rtp_port`; the far end hears how it goes by NOTIFY. Returns the new
    /// call.
    pub fn follow_transfer(
        &mut self,
        now: Instant,
        id: CallId,
        rtp_port: u16,
    ) -> Result<CallId, TransferError> {
        let Asked { target, replaces, referred_by } =
            self.transfers.asked.remove(&id).ok_or(TransferError::NotAsked)?;
        let mut headers = Vec::new();
        if let Some(replaces) = replaces {
            headers.push((HeaderName::Replaces, replaces.to_value()));
        }
        if let Some(by) = referred_by {
            headers.push((HeaderName::ReferredBy, by));
        }
        match self.call_with(now, 1, &Dial::plain(&target), rtp_port, headers) {
            Ok(call) => {
                self.transfers.placed.insert(call, id);
                self.transfer_event(id, TransferProgress::Placed { call });
                Ok(call)
            }
            Err(reason) => {
                self.queue_notify(now, id, "SIP/2.0 503 Service Unavailable", true);
                self.transfer_event(id, TransferProgress::Failed { reason: reason.to_string() });
                Err(TransferError::BadTarget(target))
            }
        }
    }

    /// Transferee: refuses the transfer the far end asked for on call `id` (NOTIFY
    /// `603 Declined`); the call goes on.
    pub fn decline_transfer(&mut self, now: Instant, id: CallId) -> Result<(), TransferError> {
        self.transfers.asked.remove(&id).ok_or(TransferError::NotAsked)?;
        self.queue_notify(now, id, "SIP/2.0 603 Declined", true);
        Ok(())
    }

    fn transfer_event(&mut self, id: CallId, progress: TransferProgress) {
        self.outputs.push_back(Output::Event(Event::Transfer { id, progress }));
    }

    fn queue_notify(&mut self, now: Instant, call: CallId, sipfrag: &str, terminated: bool) {
        self.transfers.notifies.push_back(PendingNotify {
            at: now,
            call,
            sipfrag: sipfrag.to_owned(),
            terminated,
        });
    }

    /// A final response to our REFER in call `id`.
    pub(super) fn refer_response(&mut self, now: Instant, id: CallId, code: u16) {
        let Some(referred) = self.transfers.referred.get_mut(&id) else { return };
        match code {
            200..=299 if !referred.accepted => {
                referred.accepted = true;
                // A NOTIFY may overtake the 202 (RFC 3515 §2.4.4): then there is no wait.
                if !referred.notified {
                    referred.hang_up_at = Some(now + NOTIFY_WAIT);
                }
                self.transfer_event(id, TransferProgress::Accepted);
            }
            300.. => {
                self.transfers.referred.remove(&id);
                let reason = format!("REFER refused: {code} {}", crate::sip::message::reason_phrase(code));
                self.transfer_event(id, TransferProgress::Failed { reason });
            }
            _ => {}
        }
    }

    /// A REFER we answered 202 (transferee): NOTIFY 100 and ask the app.
    pub(super) fn refer_received(&mut self, now: Instant, id: CallId, req: &Message<'_>) {
        let Some((target, replaces)) = refer_to(req) else { return };
        let referred_by =
            req.header(HeaderName::ReferredBy).map(|h| String::from_utf8_lossy(&h.value()).into_owned());
        let attended = replaces.is_some();
        self.transfers.asked.insert(id, Asked { target: target.clone(), replaces, referred_by });
        self.queue_notify(now, id, "SIP/2.0 100 Trying", false);
        self.transfer_event(id, TransferProgress::Asked { target, attended });
    }

    /// A NOTIFY about our REFER (transferor), answered 200.
    pub(super) fn refer_notify(&mut self, now: Instant, id: CallId, req: &Message<'_>) {
        let Some(referred) = self.transfers.referred.get_mut(&id) else { return };
        referred.hang_up_at = None;
        referred.notified = true;
        match sipfrag_status(req.body) {
            Some(code @ 100..=199) => self.transfer_event(id, TransferProgress::Status(code)),
            Some(200..=299) => self.transfer_succeeded(now, id),
            Some(code) => {
                self.transfers.referred.remove(&id);
                let text = String::from_utf8_lossy(req.body);
                let line = text.lines().next().unwrap_or_default();
                let reason = line.split_once(' ').map_or(code.to_string(), |(_, r)| r.trim().to_owned());
                self.transfer_event(id, TransferProgress::Failed { reason });
            }
            None => {}
        }
    }

    /// Our transfer of call `id` is done: hang it up, and the consultation call of an
    /// attended transfer if the target has not ended it already.
    fn transfer_succeeded(&mut self, now: Instant, id: CallId) {
        let consultation = self.transfers.referred.remove(&id).and_then(|r| r.consultation);
        self.transfer_event(id, TransferProgress::Succeeded);
        self.hangup(now, id);
        if let Some(c) = consultation.filter(|c| self.live.contains(c)) {
            self.hangup(now, c);
        }
    }

    /// A call we placed for a transfer changed state (transferee): tell the transferor.
    pub(super) fn transfer_call_changed(&mut self, now: Instant, call: CallId, state: &CallState) {
        let Some(original) = self.transfers.placed.get(&call).copied() else { return };
        let (sipfrag, terminated) = match state {
            CallState::Ringing => ("SIP/2.0 180 Ringing".to_owned(), false),
            CallState::Connected => ("SIP/2.0 200 OK".to_owned(), true),
            CallState::Ended(reason) => {
                let status = match reason {
                    EndReason::Status { code, reason } => format!("{code} {reason}"),
                    EndReason::Timeout => "408 Request Timeout".to_owned(),
                    EndReason::Cancelled | EndReason::Local => "487 Request Terminated".to_owned(),
                    _ => "503 Service Unavailable".to_owned(),
                };
                if !matches!(reason, EndReason::Remote) {
                    self.transfer_event(original, TransferProgress::Failed { reason: status.clone() });
                }
                (format!("SIP/2.0 {status}"), true)
            }
            _ => return,
        };
        if terminated {
            self.transfers.placed.remove(&call);
        }
        self.queue_notify(now, original, &sipfrag, terminated);
    }

    /// Sends due NOTIFYs and hangs up transfers whose NOTIFY never came.
    pub(super) fn transfer_timers(&mut self, now: Instant) {
        while self.transfers.notifies.front().is_some_and(|n| n.at <= now) {
            let Some(n) = self.transfers.notifies.pop_front() else { break };
            let state = if n.terminated { "terminated;reason=noresource" } else { "active;expires=60" };
            let headers = vec![
                (HeaderName::Event, "refer".to_owned()),
                (HeaderName::SubscriptionState, state.to_owned()),
            ];
            let body = format!("{}\r\n", n.sipfrag).into_bytes();
            self.with_session(now, n.call, |s, ctx| {
                s.send_in_dialog(ctx, Method::Notify, headers, Some(("message/sipfrag;version=2.0", body)))
            });
        }
        let overdue: Vec<CallId> = self
            .transfers
            .referred
            .iter()
            .filter(|(_, r)| r.hang_up_at.is_some_and(|t| t <= now))
            .map(|(id, _)| *id)
            .collect();
        for id in overdue {
            self.transfer_succeeded(now, id);
        }
        // Transfers of calls that ended meanwhile are over.
        let live = &self.live;
        self.transfers.referred.retain(|id, _| live.contains(id));
        self.transfers.asked.retain(|id, _| live.contains(id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sipfrag_status_lines() {
        assert_eq!(sipfrag_status(b"SIP/2.0 200 OK\r\n"), Some(200));
        assert_eq!(sipfrag_status(b"SIP/2.0 100 Trying"), Some(100));
        assert_eq!(sipfrag_status(b"sip/2.0 486 Busy Here\r\nContent-Length: 0\r\n"), Some(486));
        assert_eq!(sipfrag_status(b"SIP/3.0 200 OK"), None);
        assert_eq!(sipfrag_status(b"SIP/2.0 99 Low"), None);
        assert_eq!(sipfrag_status(b""), None);
        assert_eq!(sipfrag_status(b"INVITE sip:a@b SIP/2.0"), None);
    }
}
