//! Wall-clock formatting for logs and traces (the core never reads the clock).

use std::time::{SystemTime, UNIX_EPOCH};

/// The time of day in UTC as `HH:MM:SS.mmm`.
pub fn time_of_day() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}.{:03}", secs / 3600, secs / 60 % 60, secs % 60, since.subsec_millis())
}

/// A local date and time, for the screen's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    /// The year (e.g. 2025).
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// 1..=31.
    pub day: u32,
    /// 0..=23.
    pub hour: u32,
    /// 0..=59.
    pub minute: u32,
}

/// Now, in the local time zone as the C library knows it (`TZ`, `/etc/localtime`); UTC
/// when it cannot say.
pub fn local_time() -> LocalTime {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let t = libc::time_t::try_from(secs).unwrap_or_default();
    // SAFETY: localtime_r and gmtime_r read `t` and write the `tm` we own; each returns
    // null on failure.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        unsafe { libc::gmtime_r(&t, &mut tm) };
    }
    let num = |v: libc::c_int| u32::try_from(v).unwrap_or(0);
    LocalTime {
        year: tm.tm_year + 1900,
        month: num(tm.tm_mon) + 1,
        day: num(tm.tm_mday),
        hour: num(tm.tm_hour),
        minute: num(tm.tm_min),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_time_is_a_date_and_a_time() {
        let now = local_time();
        assert!(now.year >= 2024 && (1..=12).contains(&now.month), "{now:?}");
        assert!((1..=31).contains(&now.day) && now.hour < 24 && now.minute < 60, "{now:?}");
    }
}
