//! Header names: the known ones as an enum, canonical spelling, compact forms (RFC 3261 §7.3.3
//! and later extensions) and case-insensitive classification.

use std::fmt;

/// A header name known to the codec. Unknown names are kept as raw bytes by the parser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HeaderName {
    /// `Accept` (RFC 3261).
    Accept,
    /// `Accept-Contact` (RFC 3841, compact form `a`).
    AcceptContact,
    /// `Accept-Encoding` (RFC 3261).
    AcceptEncoding,
    /// `Accept-Language` (RFC 3261).
    AcceptLanguage,
    /// `Alert-Info` (RFC 3261).
    AlertInfo,
    /// `Allow` (RFC 3261).
    Allow,
    /// `Allow-Events` (RFC 6665, compact form `u`).
    AllowEvents,
    /// `Authentication-Info` (RFC 3261).
    AuthenticationInfo,
    /// `Authorization` (RFC 3261).
    Authorization,
    /// `Call-ID` (RFC 3261, compact form `i`).
    CallId,
    /// `Call-Info` (RFC 3261).
    CallInfo,
    /// `Contact` (RFC 3261, compact form `m`).
    Contact,
    /// `Content-Disposition` (RFC 3261).
    ContentDisposition,
    /// `Content-Encoding` (RFC 3261, compact form `e`).
    ContentEncoding,
    /// `Content-Language` (RFC 3261).
    ContentLanguage,
    /// `Content-Length` (RFC 3261, compact form `l`).
    ContentLength,
    /// `Content-Type` (RFC 3261, compact form `c`).
    ContentType,
    /// `CSeq` (RFC 3261).
    CSeq,
    /// `Date` (RFC 3261).
    Date,
    /// `Error-Info` (RFC 3261).
    ErrorInfo,
    /// `Event` (RFC 6665, compact form `o`).
    Event,
    /// `Expires` (RFC 3261).
    Expires,
    /// `From` (RFC 3261, compact form `f`).
    From,
    /// `Identity` (RFC 8224, compact form `y`).
    Identity,
    /// `Identity-Info` (RFC 4474, compact form `n`).
    IdentityInfo,
    /// `In-Reply-To` (RFC 3261).
    InReplyTo,
    /// `Max-Forwards` (RFC 3261).
    MaxForwards,
    /// `MIME-Version` (RFC 3261).
    MimeVersion,
    /// `Min-Expires` (RFC 3261).
    MinExpires,
    /// `Min-SE` (RFC 4028).
    MinSe,
    /// `Organization` (RFC 3261).
    Organization,
    /// `P-Asserted-Identity` (RFC 3325).
    PAssertedIdentity,
    /// `P-Preferred-Identity` (RFC 3325).
    PPreferredIdentity,
    /// `Path` (RFC 3327).
    Path,
    /// `Priority` (RFC 3261).
    Priority,
    /// `Privacy` (RFC 3323).
    Privacy,
    /// `Proxy-Authenticate` (RFC 3261).
    ProxyAuthenticate,
    /// `Proxy-Authorization` (RFC 3261).
    ProxyAuthorization,
    /// `Proxy-Require` (RFC 3261).
    ProxyRequire,
    /// `RAck` (RFC 3262).
    RAck,
    /// `Reason` (RFC 3326).
    Reason,
    /// `Record-Route` (RFC 3261).
    RecordRoute,
    /// `Refer-To` (RFC 3515, compact form `r`).
    ReferTo,
    /// `Referred-By` (RFC 3892, compact form `b`).
    ReferredBy,
    /// `Reject-Contact` (RFC 3841, compact form `j`).
    RejectContact,
    /// `Replaces` (RFC 3891).
    Replaces,
    /// `Reply-To` (RFC 3261).
    ReplyTo,
    /// `Request-Disposition` (RFC 3841, compact form `d`).
    RequestDisposition,
    /// `Require` (RFC 3261).
    Require,
    /// `Retry-After` (RFC 3261).
    RetryAfter,
    /// `Route` (RFC 3261).
    Route,
    /// `RSeq` (RFC 3262).
    RSeq,
    /// `Server` (RFC 3261).
    Server,
    /// `Service-Route` (RFC 3608).
    ServiceRoute,
    /// `Session-Expires` (RFC 4028, compact form `x`).
    SessionExpires,
    /// `Subject` (RFC 3261, compact form `s`).
    Subject,
    /// `Subscription-State` (RFC 6665).
    SubscriptionState,
    /// `Supported` (RFC 3261, compact form `k`).
    Supported,
    /// `Timestamp` (RFC 3261).
    Timestamp,
    /// `To` (RFC 3261, compact form `t`).
    To,
    /// `Unsupported` (RFC 3261).
    Unsupported,
    /// `User-Agent` (RFC 3261).
    UserAgent,
    /// `Via` (RFC 3261, compact form `v`).
    Via,
    /// `Warning` (RFC 3261).
    Warning,
    /// `WWW-Authenticate` (RFC 3261).
    WwwAuthenticate,
}

/// Longest known header name, in bytes; longer names are never known.
const MAX_KNOWN_LEN: usize = 24;

impl HeaderName {
    /// Every known header name, for tests and tables.
    pub const ALL: &'static [HeaderName] = &[
        HeaderName::Accept,
        HeaderName::AcceptContact,
        HeaderName::AcceptEncoding,
        HeaderName::AcceptLanguage,
        HeaderName::AlertInfo,
        HeaderName::Allow,
        HeaderName::AllowEvents,
        HeaderName::AuthenticationInfo,
        HeaderName::Authorization,
        HeaderName::CallId,
        HeaderName::CallInfo,
        HeaderName::Contact,
        HeaderName::ContentDisposition,
        HeaderName::ContentEncoding,
        HeaderName::ContentLanguage,
        HeaderName::ContentLength,
        HeaderName::ContentType,
        HeaderName::CSeq,
        HeaderName::Date,
        HeaderName::ErrorInfo,
        HeaderName::Event,
        HeaderName::Expires,
        HeaderName::From,
        HeaderName::Identity,
        HeaderName::IdentityInfo,
        HeaderName::InReplyTo,
        HeaderName::MaxForwards,
        HeaderName::MimeVersion,
        HeaderName::MinExpires,
        HeaderName::MinSe,
        HeaderName::Organization,
        HeaderName::PAssertedIdentity,
        HeaderName::PPreferredIdentity,
        HeaderName::Path,
        HeaderName::Priority,
        HeaderName::Privacy,
        HeaderName::ProxyAuthenticate,
        HeaderName::ProxyAuthorization,
        HeaderName::ProxyRequire,
        HeaderName::RAck,
        HeaderName::Reason,
        HeaderName::RecordRoute,
        HeaderName::ReferTo,
        HeaderName::ReferredBy,
        HeaderName::RejectContact,
        HeaderName::Replaces,
        HeaderName::ReplyTo,
        HeaderName::RequestDisposition,
        HeaderName::Require,
        HeaderName::RetryAfter,
        HeaderName::Route,
        HeaderName::RSeq,
        HeaderName::Server,
        HeaderName::ServiceRoute,
        HeaderName::SessionExpires,
        HeaderName::Subject,
        HeaderName::SubscriptionState,
        HeaderName::Supported,
        HeaderName::Timestamp,
        HeaderName::To,
        HeaderName::Unsupported,
        HeaderName::UserAgent,
        HeaderName::Via,
        HeaderName::Warning,
        HeaderName::WwwAuthenticate,
    ];

    /// The canonical spelling used when printing (`Call-ID`, `CSeq`, `WWW-Authenticate`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            HeaderName::Accept => "Accept",
            HeaderName::AcceptContact => "Accept-Contact",
            HeaderName::AcceptEncoding => "Accept-Encoding",
            HeaderName::AcceptLanguage => "Accept-Language",
            HeaderName::AlertInfo => "Alert-Info",
            HeaderName::Allow => "Allow",
            HeaderName::AllowEvents => "Allow-Events",
            HeaderName::AuthenticationInfo => "Authentication-Info",
            HeaderName::Authorization => "Authorization",
            HeaderName::CallId => "Call-ID",
            HeaderName::CallInfo => "Call-Info",
            HeaderName::Contact => "Contact",
            HeaderName::ContentDisposition => "Content-Disposition",
            HeaderName::ContentEncoding => "Content-Encoding",
            HeaderName::ContentLanguage => "Content-Language",
            HeaderName::ContentLength => "Content-Length",
            HeaderName::ContentType => "Content-Type",
            HeaderName::CSeq => "CSeq",
            HeaderName::Date => "Date",
            HeaderName::ErrorInfo => "Error-Info",
            HeaderName::Event => "Event",
            HeaderName::Expires => "Expires",
            HeaderName::From => "From",
            HeaderName::Identity => "Identity",
            HeaderName::IdentityInfo => "Identity-Info",
            HeaderName::InReplyTo => "In-Reply-To",
            HeaderName::MaxForwards => "Max-Forwards",
            HeaderName::MimeVersion => "MIME-Version",
            HeaderName::MinExpires => "Min-Expires",
            HeaderName::MinSe => "Min-SE",
            HeaderName::Organization => "Organization",
            HeaderName::PAssertedIdentity => "P-Asserted-Identity",
            HeaderName::PPreferredIdentity => "P-Preferred-Identity",
            HeaderName::Path => "Path",
            HeaderName::Priority => "Priority",
            HeaderName::Privacy => "Privacy",
            HeaderName::ProxyAuthenticate => "Proxy-Authenticate",
            HeaderName::ProxyAuthorization => "Proxy-Authorization",
            HeaderName::ProxyRequire => "Proxy-Require",
            HeaderName::RAck => "RAck",
            HeaderName::Reason => "Reason",
            HeaderName::RecordRoute => "Record-Route",
            HeaderName::ReferTo => "Refer-To",
            HeaderName::ReferredBy => "Referred-By",
            HeaderName::RejectContact => "Reject-Contact",
            HeaderName::Replaces => "Replaces",
            HeaderName::ReplyTo => "Reply-To",
            HeaderName::RequestDisposition => "Request-Disposition",
            HeaderName::Require => "Require",
            HeaderName::RetryAfter => "Retry-After",
            HeaderName::Route => "Route",
            HeaderName::RSeq => "RSeq",
            HeaderName::Server => "Server",
            HeaderName::ServiceRoute => "Service-Route",
            HeaderName::SessionExpires => "Session-Expires",
            HeaderName::Subject => "Subject",
            HeaderName::SubscriptionState => "Subscription-State",
            HeaderName::Supported => "Supported",
            HeaderName::Timestamp => "Timestamp",
            HeaderName::To => "To",
            HeaderName::Unsupported => "Unsupported",
            HeaderName::UserAgent => "User-Agent",
            HeaderName::Via => "Via",
            HeaderName::Warning => "Warning",
            HeaderName::WwwAuthenticate => "WWW-Authenticate",
        }
    }

    /// The compact (one letter) form, if the header has one.
    pub const fn compact(self) -> Option<u8> {
        match self {
            HeaderName::AcceptContact => Some(b'a'),
            HeaderName::AllowEvents => Some(b'u'),
            HeaderName::CallId => Some(b'i'),
            HeaderName::Contact => Some(b'm'),
            HeaderName::ContentEncoding => Some(b'e'),
            HeaderName::ContentLength => Some(b'l'),
            HeaderName::ContentType => Some(b'c'),
            HeaderName::Event => Some(b'o'),
            HeaderName::From => Some(b'f'),
            HeaderName::Identity => Some(b'y'),
            HeaderName::IdentityInfo => Some(b'n'),
            HeaderName::ReferTo => Some(b'r'),
            HeaderName::ReferredBy => Some(b'b'),
            HeaderName::RejectContact => Some(b'j'),
            HeaderName::RequestDisposition => Some(b'd'),
            HeaderName::SessionExpires => Some(b'x'),
            HeaderName::Subject => Some(b's'),
            HeaderName::Supported => Some(b'k'),
            HeaderName::To => Some(b't'),
            HeaderName::Via => Some(b'v'),
            _ => None,
        }
    }

    /// Classifies a header name case-insensitively, accepting compact forms.
    /// Returns `None` for unknown names (which are then kept byte-exact).
    pub fn from_bytes(name: &[u8]) -> Option<HeaderName> {
        if name.len() > MAX_KNOWN_LEN {
            return None;
        }
        let mut buf = [0u8; MAX_KNOWN_LEN];
        let lower = buf.get_mut(..name.len())?;
        for (d, s) in lower.iter_mut().zip(name) {
            *d = s.to_ascii_lowercase();
        }
        Self::from_lowercase(lower)
    }

    fn from_lowercase(name: &[u8]) -> Option<HeaderName> {
        use HeaderName as H;
        Some(match name {
            b"a" => H::AcceptContact,
            b"u" => H::AllowEvents,
            b"i" => H::CallId,
            b"m" => H::Contact,
            b"e" => H::ContentEncoding,
            b"l" => H::ContentLength,
            b"c" => H::ContentType,
            b"o" => H::Event,
            b"f" => H::From,
            b"y" => H::Identity,
            b"n" => H::IdentityInfo,
            b"r" => H::ReferTo,
            b"b" => H::ReferredBy,
            b"j" => H::RejectContact,
            b"d" => H::RequestDisposition,
            b"x" => H::SessionExpires,
            b"s" => H::Subject,
            b"k" => H::Supported,
            b"t" => H::To,
            b"v" => H::Via,
            b"accept" => H::Accept,
            b"accept-contact" => H::AcceptContact,
            b"accept-encoding" => H::AcceptEncoding,
            b"accept-language" => H::AcceptLanguage,
            b"alert-info" => H::AlertInfo,
            b"allow" => H::Allow,
            b"allow-events" => H::AllowEvents,
            b"authentication-info" => H::AuthenticationInfo,
            b"authorization" => H::Authorization,
            b"call-id" => H::CallId,
            b"call-info" => H::CallInfo,
            b"contact" => H::Contact,
            b"content-disposition" => H::ContentDisposition,
            b"content-encoding" => H::ContentEncoding,
            b"content-language" => H::ContentLanguage,
            b"content-length" => H::ContentLength,
            b"content-type" => H::ContentType,
            b"cseq" => H::CSeq,
            b"date" => H::Date,
            b"error-info" => H::ErrorInfo,
            b"event" => H::Event,
            b"expires" => H::Expires,
            b"from" => H::From,
            b"identity" => H::Identity,
            b"identity-info" => H::IdentityInfo,
            b"in-reply-to" => H::InReplyTo,
            b"max-forwards" => H::MaxForwards,
            b"mime-version" => H::MimeVersion,
            b"min-expires" => H::MinExpires,
            b"min-se" => H::MinSe,
            b"organization" => H::Organization,
            b"p-asserted-identity" => H::PAssertedIdentity,
            b"p-preferred-identity" => H::PPreferredIdentity,
            b"path" => H::Path,
            b"priority" => H::Priority,
            b"privacy" => H::Privacy,
            b"proxy-authenticate" => H::ProxyAuthenticate,
            b"proxy-authorization" => H::ProxyAuthorization,
            b"proxy-require" => H::ProxyRequire,
            b"rack" => H::RAck,
            b"reason" => H::Reason,
            b"record-route" => H::RecordRoute,
            b"refer-to" => H::ReferTo,
            b"referred-by" => H::ReferredBy,
            b"reject-contact" => H::RejectContact,
            b"replaces" => H::Replaces,
            b"reply-to" => H::ReplyTo,
            b"request-disposition" => H::RequestDisposition,
            b"require" => H::Require,
            b"retry-after" => H::RetryAfter,
            b"route" => H::Route,
            b"rseq" => H::RSeq,
            b"server" => H::Server,
            b"service-route" => H::ServiceRoute,
            b"session-expires" => H::SessionExpires,
            b"subject" => H::Subject,
            b"subscription-state" => H::SubscriptionState,
            b"supported" => H::Supported,
            b"timestamp" => H::Timestamp,
            b"to" => H::To,
            b"unsupported" => H::Unsupported,
            b"user-agent" => H::UserAgent,
            b"via" => H::Via,
            b"warning" => H::Warning,
            b"www-authenticate" => H::WwwAuthenticate,
            _ => return None,
        })
    }

    /// Whether the header may appear at most once in a message (RFC 3261 §7.3.1: it is not
    /// defined as a comma-separated list).
    pub const fn is_single_valued(self) -> bool {
        matches!(
            self,
            HeaderName::CallId
                | HeaderName::CSeq
                | HeaderName::From
                | HeaderName::To
                | HeaderName::MaxForwards
                | HeaderName::ContentLength
                | HeaderName::ContentType
                | HeaderName::Expires
                | HeaderName::MinExpires
                | HeaderName::Date
                | HeaderName::RSeq
                | HeaderName::RAck
        )
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_any_case_and_compact() {
        assert_eq!(HeaderName::from_bytes(b"vIa"), Some(HeaderName::Via));
        assert_eq!(HeaderName::from_bytes(b"V"), Some(HeaderName::Via));
        assert_eq!(HeaderName::from_bytes(b"i"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::from_bytes(b"CALL-ID"), Some(HeaderName::CallId));
        assert_eq!(HeaderName::from_bytes(b"www-authenticate"), Some(HeaderName::WwwAuthenticate));
        assert_eq!(HeaderName::from_bytes(b"C%6Fntact"), None);
        assert_eq!(HeaderName::from_bytes(b"X-Unknown"), None);
        assert_eq!(HeaderName::from_bytes(b""), None);
        assert_eq!(HeaderName::from_bytes(&[b'a'; 200]), None);
    }

    #[test]
    fn round_trip_all_names() {
        for &h in HeaderName::ALL {
            assert!(h.as_str().len() <= MAX_KNOWN_LEN);
            assert_eq!(HeaderName::from_bytes(h.as_str().as_bytes()), Some(h));
            if let Some(c) = h.compact() {
                assert_eq!(HeaderName::from_bytes(&[c]), Some(h));
                assert_eq!(HeaderName::from_bytes(&[c.to_ascii_uppercase()]), Some(h));
            }
        }
        assert_eq!(HeaderName::CSeq.to_string(), "CSeq");
        assert_eq!(HeaderName::CallId.compact(), Some(b'i'));
    }
}
