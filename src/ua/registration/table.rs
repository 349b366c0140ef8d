//! `sh reg`: the firmware's LINE REGISTRATION TABLE, column for column.
//!
//! ```text
//! LINE REGISTRATION TABLE
//! Proxy Registration: ENABLED, state: REGISTERED
//! line  APR  state          timer       expires     proxy:port
//! ----  ---  -------------  ----------  ----------  ----------------------------
//! 1     111  REGISTERED     3595        3512        sipgate.co.uk:5060
//! 1-BU  ...  NONE           0           0           undefined:0
//!
//! Note: APR is Authenticated, Provisioned, Registered
//! ```

use super::{RegState, Snapshot};
use std::fmt::Write;

/// The whole table. `rows` are the provisioned lines; `backup` is row `1-BU` (shown as
/// `...`/`NONE`/`undefined:0` when no backup proxy is configured).
pub fn sh_reg(proxy_register: bool, rows: &[Snapshot], backup: Option<&Snapshot>) -> String {
    let overall = rows
        .iter()
        .map(|r| r.state)
        .min_by_key(|s| match s {
            RegState::Registered => 3,
            RegState::Registering | RegState::Unregistering => 1,
            _ => 0,
        })
        .unwrap_or(RegState::None);
    let mut out = String::from("LINE REGISTRATION TABLE\n");
    let enabled = if proxy_register { "ENABLED" } else { "DISABLED" };
    let _ = writeln!(out, "Proxy Registration: {enabled}, state: {overall}");
    let _ = writeln!(out, "line  APR  state          timer       expires     proxy:port");
    let _ = writeln!(out, "----  ---  -------------  ----------  ----------  ----------------------------");
    for row in rows {
        write_row(&mut out, &row.binding.to_string(), &row.apr(), row);
    }
    match backup {
        Some(b) => write_row(&mut out, "1-BU", &b.apr(), b),
        None => {
            out.push_str("1-BU  ...  NONE           0           0           undefined:0\n");
        }
    }
    out.push_str("\nNote: APR is Authenticated, Provisioned, Registered\n");
    out
}

fn write_row(out: &mut String, line: &str, apr: &str, row: &Snapshot) {
    let proxy = row.proxy.clone().unwrap_or_else(|| "undefined:0".into());
    let _ = writeln!(
        out,
        "{line:<6}{apr:<5}{:<15}{:<12}{:<12}{proxy}",
        row.state.word(),
        row.timer,
        row.expires_left
    );
}

#[cfg(test)]
mod tests {
    use super::super::{AuthMark, Binding};
    use super::*;

    fn row(state: RegState, timer: u32, left: u64) -> Snapshot {
        Snapshot {
            binding: Binding::Line(1),
            state,
            auth: AuthMark::Sent,
            provisioned: true,
            timer,
            expires_left: left,
            proxy: Some("sipgate.co.uk:5060".into()),
            destination: None,
            contact: None,
            stored_contacts: vec![],
            received: None,
            rport: None,
            last_failure: None,
            rtt: None,
            setup_time: None,
            granted: 3600,
            retry_in: None,
        }
    }

    #[test]
    fn the_seed_table_column_for_column() {
        let text = sh_reg(true, &[row(RegState::Registered, 3595, 3512)], None);
        assert_eq!(
            text,
            "LINE REGISTRATION TABLE\n\
             Proxy Registration: ENABLED, state: REGISTERED\n\
             line  APR  state          timer       expires     proxy:port\n\
             ----  ---  -------------  ----------  ----------  ----------------------------\n\
             1     111  REGISTERED     3595        3512        sipgate.co.uk:5060\n\
             1-BU  ...  NONE           0           0           undefined:0\n\
             \n\
             Note: APR is Authenticated, Provisioned, Registered\n"
        );
    }

    #[test]
    fn a_failed_line_drags_the_state_down() {
        let mut failed = row(RegState::Failed, 0, 0);
        failed.auth = AuthMark::Failed;
        failed.binding = Binding::Line(2);
        let text = sh_reg(false, &[row(RegState::Registered, 3595, 3512), failed], None);
        assert!(text.contains("Proxy Registration: DISABLED, state: FAILED\n"));
        assert!(text.contains("\n2     x1x  FAILED         0           0           sipgate.co.uk:5060\n"));
    }
}
