//! Writing `Date` header values (RFC 3261 §20.17: RFC 1123 form, always GMT) from a point
//! in time given as seconds since the Unix epoch. Parsing is [`SipDate::parse`].

use super::scalar::SipDate;
use std::fmt;

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]; // 1970-01-01 was a Thursday

/// Days since 1970-01-01 → (year, month 1..=12, day 1..=31), proleptic Gregorian.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

impl SipDate {
    /// The date at `secs` seconds after 1970-01-01 00:00:00 GMT.
    pub fn from_unix(secs: u64) -> SipDate {
        let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
        let (year, month, day) = civil_from_days(days);
        let rest = secs % 86_400;
        SipDate {
            year: u16::try_from(year).unwrap_or(u16::MAX),
            month,
            day,
            hour: (rest / 3600) as u8,
            minute: (rest / 60 % 60) as u8,
            second: (rest % 60) as u8,
        }
    }

    /// Seconds since the Unix epoch (for dates from 1970 on).
    pub fn to_unix(&self) -> u64 {
        // Days from civil (inverse of civil_from_days).
        let (y, m, d) = (i64::from(self.year), i64::from(self.month), i64::from(self.day));
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y.rem_euclid(400);
        let mp = if m > 2 { m - 3 } else { m + 9 };
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        u64::try_from(secs).unwrap_or(0)
    }
}

/// `Tue, 24 Nov 2026 07:29:53 GMT`.
impl fmt::Display for SipDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let weekday = WEEKDAYS.get((self.to_unix() / 86_400 % 7) as usize).copied().unwrap_or("Mon");
        let month = MONTHS.get(usize::from(self.month.saturating_sub(1))).copied().unwrap_or("Jan");
        write!(
            f,
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            self.day, self.year, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(SipDate::from_unix(0).to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
        // RFC 3261 §20.17's example.
        let d = SipDate::parse(b"Sat, 13 Nov 2010 23:29:00 GMT").unwrap();
        assert_eq!(SipDate::from_unix(d.to_unix()), d);
        assert_eq!(d.to_string(), "Sat, 13 Nov 2010 23:29:00 GMT");
        assert_eq!(SipDate::from_unix(1_795_505_393).to_string(), "Tue, 24 Nov 2026 07:29:53 GMT");
        assert_eq!(SipDate::from_unix(951_782_400).to_string(), "Tue, 29 Feb 2000 00:00:00 GMT");
    }

    #[test]
    fn round_trip_over_a_century() {
        for secs in (0..4_102_444_800u64).step_by(86_400 * 37 + 3_601) {
            let d = SipDate::from_unix(secs);
            assert_eq!(d.to_unix(), secs);
            assert_eq!(SipDate::parse(d.to_string().as_bytes()).unwrap(), d);
        }
    }
}
