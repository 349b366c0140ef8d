//! Wall-clock formatting for logs and traces (the core never reads the clock).

use std::time::{SystemTime, UNIX_EPOCH};

/// The time of day in UTC as `HH:MM:SS.mmm`.
pub fn time_of_day() -> String {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}.{:03}", secs / 3600, secs / 60 % 60, secs % 60, since.subsec_millis())
}
