//! The `Replaces` header (RFC 3891) and its trip inside a `Refer-To` URI (RFC 3515 §2.1,
//! RFC 5589 §7): how an attended transfer names the call the new one takes over.
//!
//! ```text
//!  transferor:  Refer-To: <sip:34567@proxy?Replaces=cid%40host%3Bto-tag%3Db%3Bfrom-tag%3Da>
//!  transferee:  INVITE sip:34567@proxy            (the embedded header, %-decoded)
//!               Replaces: cid@host;to-tag=b;from-tag=a
//!  target:      to-tag = its own tag, from-tag = the transferor's: the dialog it replaces
//! ```
//! Pure text in and out.

use super::message::lex::pct_decode;

/// A parsed `Replaces` value: the dialog to replace, as the UA that receives the header
/// sees it (`to_tag` is that UA's own tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaces {
    /// The Call-ID of the dialog.
    pub call_id: String,
    /// The tag of the UA receiving the header.
    pub to_tag: String,
    /// The tag of the other end of that dialog.
    pub from_tag: String,
    /// `early-only`: replace only a dialog that is not yet answered.
    pub early_only: bool,
}

impl Replaces {
    /// Parses `call-id;to-tag=…;from-tag=…[;early-only]` (parameters in any order and case;
    /// others ignored). `None` without a Call-ID or either tag.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split(';');
        let call_id = parts.next()?.trim();
        if call_id.is_empty() || call_id.contains(char::is_whitespace) {
            return None;
        }
        let (mut to_tag, mut from_tag, mut early_only) = (None, None, false);
        for part in parts {
            let (name, val) = part.split_once('=').map_or((part, ""), |(n, v)| (n, v));
            let (name, val) = (name.trim(), val.trim().to_owned());
            if name.eq_ignore_ascii_case("to-tag") {
                to_tag = Some(val);
            } else if name.eq_ignore_ascii_case("from-tag") {
                from_tag = Some(val);
            } else if name.eq_ignore_ascii_case("early-only") {
                early_only = true;
            }
        }
        let (to_tag, from_tag) = (to_tag.filter(|t| !t.is_empty())?, from_tag.filter(|t| !t.is_empty())?);
        Some(Replaces { call_id: call_id.to_owned(), to_tag, from_tag, early_only })
    }

    /// The header value.
    pub fn to_value(&self) -> String {
        let early = if self.early_only { ";early-only" } else { "" };
        format!("{};to-tag={};from-tag={}{early}", self.call_id, self.to_tag, self.from_tag)
    }

    /// `uri` with this header embedded (`uri?Replaces=…`, %-escaped), for a `Refer-To`.
    pub fn embed_in(&self, uri: &str) -> String {
        format!("{uri}?Replaces={}", escape_header_value(&self.to_value()))
    }

    /// The `Replaces` embedded in a URI's header part (`Replaces=…&Other=…`, raw), decoded.
    pub fn from_uri_headers(headers: &[u8]) -> Option<Self> {
        headers.split(|b| *b == b'&').find_map(|pair| {
            let eq = pair.iter().position(|b| *b == b'=')?;
            let (name, value) = (pair.get(..eq)?, pair.get(eq + 1..)?);
            if !name.eq_ignore_ascii_case(b"replaces") {
                return None;
            }
            Self::parse(&String::from_utf8_lossy(&pct_decode(value)))
        })
    }
}

/// %-escapes what may not stand in a URI header value (RFC 3261's `hvalue`: unreserved,
/// `[ ] / ? : + $` and escapes).
fn escape_header_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for b in value.bytes() {
        let plain = b.is_ascii_alphanumeric() || b"-_.!~*'()[]/?:+$".contains(&b);
        if plain {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rfc_3891_values() {
        let r = Replaces::parse("98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff").unwrap();
        assert_eq!(
            r,
            Replaces {
                call_id: "98732@sip.example.com".into(),
                to_tag: "ff87ff".into(),
                from_tag: "r33th4x0r".into(),
                early_only: false
            }
        );
        let r = Replaces::parse(" 12@h ; To-Tag = a ; FROM-TAG=b ;early-only;x=y").unwrap();
        assert_eq!(
            (r.call_id.as_str(), r.to_tag.as_str(), r.from_tag.as_str(), r.early_only),
            ("12@h", "a", "b", true)
        );
        assert_eq!(Replaces::parse("12@h;to-tag=a"), None, "from-tag missing");
        assert_eq!(Replaces::parse(";to-tag=a;from-tag=b"), None, "Call-ID missing");
        assert_eq!(Replaces::parse("12@h;to-tag=;from-tag=b"), None, "empty tag");
        assert_eq!(Replaces::parse(""), None);
    }

    #[test]
    fn survives_the_trip_through_a_refer_to_uri() {
        let r = Replaces {
            call_id: "a1b2%c3@10.0.0.1".into(),
            to_tag: "x=y".into(),
            from_tag: "z&w".into(),
            early_only: false,
        };
        let uri = r.embed_in("sip:34567@127.0.0.1:5060");
        assert_eq!(
            uri,
            "sip:34567@127.0.0.1:5060?Replaces=a1b2%25c3%4010.0.0.1%3Bto-tag%3Dx%3Dy%3Bfrom-tag%3Dz%26w"
        );
        let headers = uri.split_once('?').unwrap().1;
        assert_eq!(Replaces::from_uri_headers(headers.as_bytes()), Some(r.clone()));
        let with_more = format!("Subject=hi&{headers}");
        assert_eq!(Replaces::from_uri_headers(with_more.as_bytes()), Some(r));
        assert_eq!(Replaces::from_uri_headers(b"Subject=hi"), None);
        assert_eq!(
            Replaces::parse(&Replaces::parse("c;to-tag=t;from-tag=f;early-only").unwrap().to_value())
                .map(|r| r.early_only),
            Some(true)
        );
    }
}
