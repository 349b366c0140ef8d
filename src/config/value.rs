//! Typed CNF values: how each kind of parameter is read from and written back to CNF text.
//!
//! Every parameter of [`PhoneConfig`](super::PhoneConfig) is reached through the [`Field`]
//! trait, so the reader, the printer and `check` share one description of each key.

use super::host::{Host, HostError};
use std::borrow::Cow;
use std::fmt;
use std::net::Ipv4Addr;
use thiserror::Error;

/// The firmware's word for "not set".
pub const UNPROVISIONED: &str = "UNPROVISIONED";

/// Why a value is not allowed for its key.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// Not a decimal number.
    #[error("is not a whole number")]
    NotANumber,
    /// A number outside the key's range.
    #[error("is outside {min}..{max}")]
    OutOfRange {
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// Not one of the words the key takes.
    #[error("is not one of the allowed values")]
    NotAChoice,
    /// Not an address.
    #[error("{0}")]
    Host(#[from] HostError),
    /// Not a dotted IPv4 address.
    #[error("is not a dotted IPv4 address")]
    NotIpv4,
    /// A tab, newline or other control character.
    #[error("contains a control character")]
    ControlCharacter,
    /// `UNPROVISIONED` where a value is required.
    #[error("cannot be UNPROVISIONED")]
    Unprovisioned,
}

/// One parameter, as the reader, the printer and `check` see it.
pub trait Field {
    /// Sets the value from CNF text (quotes already removed).
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError>;
    /// The value as CNF text (unquoted; passwords in clear: this is for files).
    fn cnf(&self) -> String;
    /// What the key accepts, in words, for error messages.
    fn allowed(&self) -> Cow<'static, str>;
    /// Whether the value must be shown as `****`.
    fn is_secret(&self) -> bool {
        false
    }
}

fn is_unprovisioned(raw: &str) -> bool {
    raw.eq_ignore_ascii_case(UNPROVISIONED)
}

fn check_text(raw: &str) -> Result<(), ValueError> {
    if raw.chars().any(char::is_control) {
        return Err(ValueError::ControlCharacter);
    }
    Ok(())
}

/// `0` or `1`.
impl Field for bool {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        *self = match raw {
            "0" => false,
            "1" => true,
            _ => return Err(ValueError::NotAChoice),
        };
        Ok(())
    }
    fn cnf(&self) -> String {
        u8::from(*self).to_string()
    }
    fn allowed(&self) -> Cow<'static, str> {
        "0 (off) or 1 (on)".into()
    }
}

/// Free text; `UNPROVISIONED` and `""` are both empty.
impl Field for String {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        check_text(raw)?;
        *self = if is_unprovisioned(raw) { String::new() } else { raw.to_owned() };
        Ok(())
    }
    fn cnf(&self) -> String {
        self.clone()
    }
    fn allowed(&self) -> Cow<'static, str> {
        "text without control characters".into()
    }
}

/// An optional address; empty and `UNPROVISIONED` mean none.
impl Field for Option<Host> {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        *self = if raw.is_empty() || is_unprovisioned(raw) { None } else { Some(Host::parse(raw)?) };
        Ok(())
    }
    fn cnf(&self) -> String {
        self.as_ref().map(Host::to_string).unwrap_or_default()
    }
    fn allowed(&self) -> Cow<'static, str> {
        "a dotted IP address or a DNS name, or \"\"".into()
    }
}

/// An optional dotted IPv4 address (the 7940 network keys).
impl Field for Option<Ipv4Addr> {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        *self = if raw.is_empty() || is_unprovisioned(raw) {
            None
        } else if super::host::is_placeholder(raw) {
            return Err(HostError::Placeholder.into());
        } else {
            Some(raw.parse().map_err(|_| ValueError::NotIpv4)?)
        };
        Ok(())
    }
    fn cnf(&self) -> String {
        self.map(|ip| ip.to_string()).unwrap_or_default()
    }
    fn allowed(&self) -> Cow<'static, str> {
        "a dotted IPv4 address such as 10.0.0.3, or \"\"".into()
    }
}

/// A password: printed as `****` everywhere but in CNF files.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a password.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }
    /// The password itself, for digest computation only.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no password is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl Field for Secret {
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        self.0.set_cnf(raw)
    }
    fn cnf(&self) -> String {
        self.0.clone()
    }
    fn allowed(&self) -> Cow<'static, str> {
        self.0.allowed()
    }
    fn is_secret(&self) -> bool {
        true
    }
}

/// A number with a range, borrowed from a config field for the time of one visit.
pub struct Ranged<'a, T> {
    value: &'a mut T,
    min: T,
    max: T,
}

impl<'a, T> Ranged<'a, T> {
    /// `value` must stay within `min..=max`.
    pub fn new(value: &'a mut T, min: T, max: T) -> Self {
        Self { value, min, max }
    }
}

impl<T> Field for Ranged<'_, T>
where
    T: Copy + Into<u64> + TryFrom<u64> + ToString,
{
    fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
        if is_unprovisioned(raw) {
            return Err(ValueError::Unprovisioned);
        }
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::NotANumber);
        }
        let (min, max) = (self.min.into(), self.max.into());
        let out_of_range = ValueError::OutOfRange { min, max };
        let n: u64 = raw.parse().map_err(|_| out_of_range.clone())?;
        if n < min || n > max {
            return Err(out_of_range);
        }
        *self.value = T::try_from(n).map_err(|_| out_of_range)?;
        Ok(())
    }
    fn cnf(&self) -> String {
        self.value.to_string()
    }
    fn allowed(&self) -> Cow<'static, str> {
        format!("a whole number from {} to {}", self.min.to_string(), self.max.to_string()).into()
    }
}

/// Declares an enum whose values are fixed CNF words (matched case-insensitively).
macro_rules! cnf_choice {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $word:literal),+ $(,)? } default $default:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value with its CNF word.
            pub const ALL: &'static [($name, &'static str)] = &[$(($name::$variant, $word)),+];

            /// The CNF word.
            pub fn word(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::$default
            }
        }

        impl Field for $name {
            fn set_cnf(&mut self, raw: &str) -> Result<(), ValueError> {
                *self = Self::ALL
                    .iter()
                    .find(|(_, w)| w.eq_ignore_ascii_case(raw))
                    .map(|(v, _)| *v)
                    .ok_or(ValueError::NotAChoice)?;
                Ok(())
            }
            fn cnf(&self) -> String {
                self.word().to_owned()
            }
            fn allowed(&self) -> Cow<'static, str> {
                let words: Vec<&str> = Self::ALL.iter().map(|(_, w)| *w).collect();
                format!("one of {}", words.join(", ")).into()
            }
        }
    };
}

cnf_choice! {
    /// `preferred_codec`.
    Codec {
        /// G.711 µ-law (PCMU).
        G711Ulaw = "g711ulaw",
        /// G.711 A-law (PCMA).
        G711Alaw = "g711alaw",
        /// G.729a (not implemented by sip7940; accepted for compatibility).
        G729a = "g729a",
        /// Opus (RFC 7587) first: an extension the 7940 firmware does not have.
        Opus = "opus",
        /// No preference.
        None = "none",
    } default G711Ulaw
}

cnf_choice! {
    /// `dtmf_outofband`.
    DtmfOutOfBand {
        /// No RFC 4733 events.
        None = "none",
        /// RFC 4733 events when the far end negotiates them.
        Avt = "avt",
        /// RFC 4733 events always.
        AvtAlways = "avt_always",
    } default Avt
}

cnf_choice! {
    /// `user_info`: the `;user=` parameter on the registration URI.
    UserInfo {
        /// No parameter.
        None = "none",
        /// `;user=phone`.
        Phone = "phone",
        /// `;user=ip`.
        Ip = "ip",
    } default None
}

cnf_choice! {
    /// A call-feature switch (`dnd_control`, `anonymous_call_block`, ...).
    Feature {
        /// 0: off, the user may turn it on.
        Off = "0",
        /// 1: on, the user may turn it off.
        On = "1",
        /// 2: always off.
        AlwaysOff = "2",
        /// 3: always on.
        AlwaysOn = "3",
    } default Off
}

impl Feature {
    /// Whether the feature starts switched on.
    pub fn is_on(self) -> bool {
        matches!(self, Self::On | Self::AlwaysOn)
    }
}

cnf_choice! {
    /// `sntp_mode`.
    SntpMode {
        /// Ask `sntp_server` directly.
        Unicast = "unicast",
        /// Listen for multicast.
        Multicast = "multicast",
        /// Unicast then multicast.
        Anycast = "anycast",
        /// Directed broadcast.
        DirectedBroadcast = "directedbroadcast",
    } default Anycast
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_are_zero_or_one() {
        let mut b = false;
        assert_eq!(b.set_cnf("1"), Ok(()));
        assert!(b);
        assert_eq!(b.set_cnf("yes"), Err(ValueError::NotAChoice));
        assert!(b, "a rejected value leaves the old one");
    }

    #[test]
    fn ranged_numbers() {
        let mut port: u16 = 5060;
        let mut f = Ranged::new(&mut port, 1, 65535);
        assert_eq!(f.set_cnf("70000"), Err(ValueError::OutOfRange { min: 1, max: 65535 }));
        assert_eq!(f.set_cnf("99999999999999999999999"), Err(ValueError::OutOfRange { min: 1, max: 65535 }));
        assert_eq!(f.set_cnf("-1"), Err(ValueError::NotANumber));
        assert_eq!(f.set_cnf(""), Err(ValueError::NotANumber));
        assert_eq!(f.set_cnf("5062"), Ok(()));
        assert_eq!(f.cnf(), "5062");
        assert_eq!(f.allowed(), "a whole number from 1 to 65535");
    }

    #[test]
    fn choices_are_case_insensitive() {
        let mut c = Codec::default();
        assert_eq!(c.set_cnf("G711ALAW"), Ok(()));
        assert_eq!(c, Codec::G711Alaw);
        assert_eq!(c.cnf(), "g711alaw");
        assert_eq!(c.set_cnf("opus2"), Err(ValueError::NotAChoice));
        assert_eq!(c.allowed(), "one of g711ulaw, g711alaw, g729a, opus, none");
    }

    #[test]
    fn unprovisioned_means_empty_for_text_and_addresses() {
        let mut s = String::from("x");
        s.set_cnf("UNPROVISIONED").unwrap();
        assert_eq!(s, "");
        let mut h = Some(Host::Name("a".into()));
        h.set_cnf("UNPROVISIONED").unwrap();
        assert_eq!(h, None);
        let mut n = 1u32;
        assert_eq!(Ranged::new(&mut n, 0, 9).set_cnf("UNPROVISIONED"), Err(ValueError::Unprovisioned));
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let s = Secret::new("sipgatepassword");
        assert_eq!(format!("{s:?}"), "****");
        assert!(s.is_secret());
        assert_eq!(s.expose(), "sipgatepassword");
    }

    #[test]
    fn ipv4_keys() {
        let mut ip: Option<Ipv4Addr> = None;
        assert_eq!(ip.set_cnf("10.x.x.3"), Err(ValueError::Host(HostError::Placeholder)));
        assert_eq!(ip.set_cnf("host.name"), Err(ValueError::NotIpv4));
        assert_eq!(ip.set_cnf("10.0.0.3"), Ok(()));
        assert_eq!(ip.cnf(), "10.0.0.3");
    }
}
