//! Which files in a TFTP root are this phone's: `SIPDefault.cnf` and `SIP<MAC>.cnf`.
//!
//! Pure: it chooses among file names; reading the directory is the io edge's job.

use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A phone's MAC address, shown as the firmware names its file: 12 upper-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Mac(pub [u8; 6]);

/// Why a MAC address was not understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0:?} is not a MAC address (12 hex digits, e.g. 000C30A97025 or 00:0c:30:a9:70:25)")]
pub struct MacError(pub String);

impl FromStr for Mac {
    type Err = MacError;

    /// Accepts `000C30A97025`, `00:0c:30:a9:70:25`, `00-0C-30-A9-70-25` and `000c.30a9.7025`.
    fn from_str(text: &str) -> Result<Self, MacError> {
        let err = || MacError(text.to_owned());
        let digits: Vec<u8> = text.bytes().filter(|b| !matches!(b, b':' | b'-' | b'.')).collect();
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err(err());
        }
        let mut mac = [0u8; 6];
        for (byte, pair) in mac.iter_mut().zip(digits.chunks(2)) {
            let pair = std::str::from_utf8(pair).map_err(|_| err())?;
            *byte = u8::from_str_radix(pair, 16).map_err(|_| err())?;
        }
        Ok(Mac(mac))
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

/// The files chosen for one phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// `SIPDefault.cnf`, in whatever case it was found.
    pub default: Option<String>,
    /// `SIP<MAC>.cnf`, in whatever case it was found.
    pub phone: Option<String>,
    /// The phone's MAC (given, or read from the only `SIP<MAC>.cnf`).
    pub mac: Option<Mac>,
}

/// Why no configuration could be chosen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LocateError {
    /// Neither file is there.
    #[error("no SIPDefault.cnf and no SIP<MAC>.cnf here")]
    NoFiles,
    /// Several phones' files and no `--mac` to pick one.
    #[error("several phone files ({}); pick one with --mac", .0.join(", "))]
    SeveralPhones(Vec<String>),
}

/// The MAC in a `SIP<MAC>.cnf` name (any case).
pub fn mac_of_file_name(name: &str) -> Option<Mac> {
    let lower = name.to_ascii_lowercase();
    let hex = lower.strip_prefix("sip")?.strip_suffix(".cnf")?;
    if hex.len() != 12 {
        return None;
    }
    hex.parse().ok()
}

/// Chooses the files among the names in a directory, as the phone would on its TFTP root.
pub fn choose(names: &[String], mac: Option<Mac>) -> Result<Chosen, LocateError> {
    let default = names.iter().find(|n| n.eq_ignore_ascii_case("SIPDefault.cnf")).cloned();
    let phones: Vec<(&String, Mac)> = names.iter().filter_map(|n| Some((n, mac_of_file_name(n)?))).collect();
    let (phone, mac) = match mac {
        Some(mac) => (phones.iter().find(|(_, m)| *m == mac).map(|(n, _)| (*n).clone()), Some(mac)),
        None => match phones.as_slice() {
            [] => (None, None),
            [(name, m)] => (Some((*name).clone()), Some(*m)),
            many => {
                let mut names: Vec<String> = many.iter().map(|(n, _)| (*n).clone()).collect();
                names.sort();
                return Err(LocateError::SeveralPhones(names));
            }
        },
    };
    if default.is_none() && phone.is_none() {
        return Err(LocateError::NoFiles);
    }
    Ok(Chosen { default, phone, mac })
}

/// Warnings for a file the phone would fetch but that is not there.
pub fn missing_file_findings(chosen: &Chosen, dir: &str) -> Vec<super::Finding> {
    let mut out = Vec::new();
    if chosen.default.is_none() {
        out.push(missing_default_finding(dir));
    }
    if chosen.phone.is_none() {
        let name = chosen.mac.map_or_else(|| "SIP<MAC>.cnf".to_owned(), |m| format!("SIP{m}.cnf"));
        out.push(missing_phone_finding(&name, dir));
    }
    out
}

/// The warning for a missing `SIPDefault.cnf` in `place` (a directory or a TFTP server):
/// the phone reads its own file over the firmware's defaults.
pub fn missing_default_finding(place: &str) -> super::Finding {
    use super::{Finding, Origin, Severity};
    Finding {
        severity: Severity::Warning,
        code: "missing-file",
        origin: Origin::Default,
        key: None,
        problem: format!("no SIPDefault.cnf in {place}; only the phone's own file is read"),
        advice: "put the shared settings in SIPDefault.cnf".into(),
    }
}

/// The warning for a missing phone file `name` (`SIP<MAC>.cnf`, with its directory on a
/// TFTP server) in `place`.
pub fn missing_phone_finding(name: &str, place: &str) -> super::Finding {
    use super::{Finding, Origin, Severity};
    Finding {
        severity: Severity::Warning,
        code: "missing-file",
        origin: Origin::Default,
        key: None,
        problem: format!("no {name} in {place}; the phone boots with SIPDefault.cnf only"),
        advice: "create it with the phone's lines (line1_name, line1_authname, line1_password)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn mac_spellings() {
        let want = Mac([0x00, 0x0C, 0x30, 0xA9, 0x70, 0x25]);
        for s in ["000C30A97025", "00:0c:30:a9:70:25", "00-0C-30-A9-70-25", "000c.30a9.7025"] {
            assert_eq!(s.parse::<Mac>(), Ok(want), "{s}");
        }
        assert_eq!(want.to_string(), "000C30A97025");
        for bad in ["", "000C30A9702", "000C30A97025FF", "00:0c:30:a9:70:zz", "ééééééééééé"] {
            assert!(bad.parse::<Mac>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_match_in_any_case() {
        let c = choose(&names(&["SIPDEFAULT.CNF", "sip000c30a97025.Cnf", "dialplan.xml"]), None).unwrap();
        assert_eq!(c.default.as_deref(), Some("SIPDEFAULT.CNF"));
        assert_eq!(c.phone.as_deref(), Some("sip000c30a97025.Cnf"));
        assert_eq!(c.mac.map(|m| m.to_string()).as_deref(), Some("000C30A97025"));
    }

    #[test]
    fn several_phones_need_a_mac() {
        let n = names(&["SIPDefault.cnf", "SIP000C30A97025.cnf", "SIP000C30A97026.cnf"]);
        assert!(matches!(choose(&n, None), Err(LocateError::SeveralPhones(v)) if v.len() == 2));
        let c = choose(&n, Some("00:0c:30:a9:70:26".parse().unwrap())).unwrap();
        assert_eq!(c.phone.as_deref(), Some("SIP000C30A97026.cnf"));
    }

    #[test]
    fn missing_files() {
        assert_eq!(choose(&names(&["readme"]), None), Err(LocateError::NoFiles));
        let only_default = choose(&names(&["SIPDefault.cnf"]), "000C30A97025".parse().ok()).unwrap();
        assert_eq!(only_default.phone, None);
    }
}
