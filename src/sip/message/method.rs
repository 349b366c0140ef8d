//! SIP request methods (case-sensitive, RFC 3261 §7.1), with unknown ones kept as
//! [`Method::Extension`] so that a UAS can answer 501.

use std::fmt;

use super::lex::is_token_str;

/// A request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// `INVITE`
    Invite,
    /// `ACK`
    Ack,
    /// `BYE`
    Bye,
    /// `CANCEL`
    Cancel,
    /// `OPTIONS`
    Options,
    /// `REGISTER`
    Register,
    /// `PRACK` (RFC 3262)
    Prack,
    /// `SUBSCRIBE` (RFC 6665)
    Subscribe,
    /// `NOTIFY` (RFC 6665)
    Notify,
    /// `PUBLISH` (RFC 3903)
    Publish,
    /// `INFO` (RFC 6086)
    Info,
    /// `REFER` (RFC 3515)
    Refer,
    /// `MESSAGE` (RFC 3428)
    Message,
    /// `UPDATE` (RFC 3311)
    Update,
    /// Any other token, byte-exact (`RE%47IST%45R` stays as written: tokens are never
    /// unescaped).
    Extension(&'a [u8]),
}

impl<'a> Method<'a> {
    /// Classifies a method token (case-sensitive). Returns `None` if `b` is not a token.
    pub fn from_bytes(b: &'a [u8]) -> Option<Method<'a>> {
        Some(match b {
            b"INVITE" => Method::Invite,
            b"ACK" => Method::Ack,
            b"BYE" => Method::Bye,
            b"CANCEL" => Method::Cancel,
            b"OPTIONS" => Method::Options,
            b"REGISTER" => Method::Register,
            b"PRACK" => Method::Prack,
            b"SUBSCRIBE" => Method::Subscribe,
            b"NOTIFY" => Method::Notify,
            b"PUBLISH" => Method::Publish,
            b"INFO" => Method::Info,
            b"REFER" => Method::Refer,
            b"MESSAGE" => Method::Message,
            b"UPDATE" => Method::Update,
            _ if is_token_str(b) => Method::Extension(b),
            _ => return None,
        })
    }

    /// The method as written on the wire.
    pub const fn as_bytes(&self) -> &'a [u8] {
        match self {
            Method::Invite => b"INVITE",
            Method::Ack => b"ACK",
            Method::Bye => b"BYE",
            Method::Cancel => b"CANCEL",
            Method::Options => b"OPTIONS",
            Method::Register => b"REGISTER",
            Method::Prack => b"PRACK",
            Method::Subscribe => b"SUBSCRIBE",
            Method::Notify => b"NOTIFY",
            Method::Publish => b"PUBLISH",
            Method::Info => b"INFO",
            Method::Refer => b"REFER",
            Method::Message => b"MESSAGE",
            Method::Update => b"UPDATE",
            Method::Extension(b) => b,
        }
    }

    /// Whether this is a method the codec knows by name.
    pub const fn is_known(&self) -> bool {
        !matches!(self, Method::Extension(_))
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify() {
        assert_eq!(Method::from_bytes(b"INVITE"), Some(Method::Invite));
        assert_eq!(Method::from_bytes(b"invite"), Some(Method::Extension(b"invite")));
        assert_eq!(Method::from_bytes(b"RE%47IST%45R"), Some(Method::Extension(b"RE%47IST%45R")));
        assert_eq!(Method::from_bytes(b"IN VITE"), None);
        assert_eq!(Method::from_bytes(b""), None);
        assert_eq!(Method::Register.as_bytes(), b"REGISTER");
        assert_eq!(Method::Extension(b"FOO").to_string(), "FOO");
        assert!(!Method::Extension(b"FOO").is_known());
    }
}
