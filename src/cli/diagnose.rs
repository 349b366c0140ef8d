//! Words for what went wrong with a registration, and why inbound requests do not arrive.

use crate::config::PhoneConfig;
use crate::ua::ProbeResult;
use crate::ua::registration::{Failure, RegState, Snapshot};
use std::net::IpAddr;

/// `line 1: 403 Forbidden from 127.0.0.1:5060 — the registrar rejected authname 12345's password`.
pub fn failure_line(s: &Snapshot, config: &PhoneConfig) -> Option<String> {
    if s.state == RegState::Registered {
        return None;
    }
    let authname =
        config.lines.get(s.binding.line_index()).map(|l| l.auth_user().to_owned()).unwrap_or_default();
    let from = s.destination.map(|d| d.to_string()).or_else(|| s.proxy.clone()).unwrap_or_default();
    let text = match &s.last_failure {
        None => format!("{} (no answer yet)", s.state),
        Some(Failure::Status { code, reason }) => {
            let why = match code {
                403 if s.auth == crate::ua::registration::AuthMark::Failed => {
                    format!("the registrar rejected authname {authname}'s password")
                }
                403 => format!("the registrar refused {authname}"),
                404 => format!("the registrar does not know user {authname}"),
                408 | 480 | 503 => {
                    "the registrar is temporarily unable to register; it will be retried".into()
                }
                423 => "the registrar wants a longer expiry than it accepted".into(),
                _ => "the registrar refused the registration".into(),
            };
            format!("{code} {reason} from {from} — {why}")
        }
        Some(Failure::Auth { code, error, .. }) => {
            format!("{code} from {from} — authentication of {authname} failed: {error}")
        }
        Some(Failure::Timeout { host, to, tries }) => {
            let port = to.rsplit(':').next().unwrap_or("5060");
            format!("no answer from {host} ({to}) after {tries} tries — is UDP {port} blocked?")
        }
        Some(Failure::Resolve { host, error }) => {
            format!("cannot resolve {host}: {error} — check the name and dns_addr")
        }
        Some(Failure::NoProxy) => "no proxy address for this line — set proxy1_address".into(),
        Some(Failure::GrantTooShort { granted }) => {
            format!(
                "{from} granted only {granted} s; the firmware treats under 60 s as failed — \
                 raise the registrar's minimum or timer_register_expires"
            )
        }
    };
    Some(format!("line {}: {text}", s.binding))
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private() || v4.is_link_local() || (v4.octets()[0] == 100 && v4.octets()[1] & 0xc0 == 64)
        }
        IpAddr::V6(v6) => v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

fn contact_ip(uri: &str) -> Option<IpAddr> {
    let rest = uri.split_once('@').map_or(uri, |(_, r)| r);
    let host = rest.split([';', '>', '?']).next()?;
    let host = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => host.rsplit_once(':').map_or(host, |(h, _)| h),
    };
    host.parse().ok()
}

/// `inbound: line 1 reachable …` or `inbound: NOT reachable — …` with the likely cause.
pub fn inbound_line(s: &Snapshot, result: &ProbeResult, config: &PhoneConfig) -> String {
    let line = s.binding;
    let stored = s.stored_contacts.first().cloned().unwrap_or_else(|| "nothing".into());
    let why = match result {
        ProbeResult::Reached => {
            return format!(
                "inbound: line {line} reachable — an OPTIONS to its address of record came back through the proxy"
            );
        }
        ProbeResult::Pending => "no answer to the OPTIONS yet".to_owned(),
        ProbeResult::TimedOut => "the proxy passed nothing back".to_owned(),
        ProbeResult::Refused { code, reason } => format!("the proxy answered {code} {reason}"),
    };
    let private = s.stored_contacts.iter().filter_map(|c| contact_ip(c)).any(is_private);
    let received: Option<IpAddr> =
        s.received.as_deref().and_then(|r| r.trim_matches(['[', ']']).parse().ok());
    let proxy_public = s.destination.is_some_and(|d| !is_private(d.ip()) && !d.ip().is_loopback());
    let hint = if private && proxy_public {
        let nat = &config.nat;
        if nat.enable && nat.received_processing {
            format!(
                "the registrar stored {stored}, a private address, although received processing is on; \
                 the router's SIP ALG may be rewriting it back — don't NAT in two places"
            )
        } else {
            format!(
                "the registrar stored {stored}, a private address; set nat_enable : 1 and \
                 nat_received_processing : 1, or let the router's SIP ALG rewrite it, not both"
            )
        }
    } else if let (Some(seen), Some(mine)) = (received, s.contact)
        && is_private(seen)
        && !is_private(mine.ip())
        && !mine.ip().is_loopback()
    {
        format!(
            "we advertised {mine} but the registrar's answer says it saw us at {seen}, a private address: \
             a SIP ALG on the router rewrites SIP as well — don't NAT in two places: turn the ALG off, \
             or set nat_enable : 0 and let the ALG do it"
        )
    } else if let (Some(seen), Some(mine)) = (s.rport, s.contact)
        && seen != mine.port()
    {
        format!(
            "the registrar stored {stored}, but it saw our requests from port {seen}, not {}: \
             a NAT rewrites the port; set nat_rport : 1, or let one box do the NAT — don't NAT in two places",
            mine.port()
        )
    } else if s
        .received
        .as_deref()
        .and_then(|r| r.parse::<IpAddr>().ok())
        .zip(s.contact)
        .is_some_and(|(r, c)| r != c.ip())
    {
        format!(
            "the registrar saw us at {} but stored {stored}; inbound requests go to the stored address",
            s.received.clone().unwrap_or_default()
        )
    } else if matches!(result, ProbeResult::TimedOut) {
        format!(
            "the registrar stored {stored}, but nothing sent there arrived: a firewall or NAT drops inbound UDP"
        )
    } else {
        format!("the registrar stored {stored}")
    };
    format!("inbound: line {line} NOT reachable — {why}; {hint}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_ips() {
        assert_eq!(contact_ip("sip:12345@10.0.0.3:5060;transport=udp"), "10.0.0.3".parse().ok());
        assert_eq!(contact_ip("sip:12345@[fd00::1]:5060"), "fd00::1".parse().ok());
        assert_eq!(contact_ip("sip:12345@host.example"), None);
        assert!(is_private("10.0.0.3".parse().unwrap()));
        assert!(!is_private("203.0.113.5".parse().unwrap()));
    }
}
