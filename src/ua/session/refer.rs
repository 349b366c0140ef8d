//! Requests of an established call that belong to a transfer (RFC 3515): our REFER and
//! NOTIFYs, sent in the dialog like any other request.

use super::{CallAction, CallCtx, Session, via};
use crate::sip::message::{HeaderName, Method};

impl Session {
    /// Sends `method` in the dialog with `headers` and an optional body (its type, the
    /// bytes); false when the call is not answered and live.
    pub fn send_in_dialog(
        &mut self,
        ctx: &mut CallCtx<'_>,
        method: Method<'static>,
        headers: Vec<(HeaderName, String)>,
        body: Option<(&str, Vec<u8>)>,
    ) -> bool {
        if !self.live() && method != Method::Notify {
            return false;
        }
        if matches!(self.state, super::CallState::Ended(_)) {
            return false;
        }
        let (via, branch) = via(ctx);
        let to = self.next_hop();
        let mut req = self.dialog.request(method, &via).with(HeaderName::UserAgent, crate::ua::PRODUCT);
        for (name, value) in headers {
            req = req.with(name, value);
        }
        if let Some((content_type, bytes)) = body {
            req = req.with(HeaderName::ContentType, content_type).with_body(bytes);
        }
        ctx.actions.push(CallAction::Send { request: req, branch, to });
        true
    }

    /// Our URI with our tag, as our requests' From carries it.
    pub fn local_uri(&self) -> &str {
        &self.dialog.local
    }

    /// Whether the call is answered and not ending.
    pub fn is_live(&self) -> bool {
        self.live()
    }
}
