//! The rules behind `sip7940 check`: settings that are valid one by one but wrong together,
//! or leftovers from the web page the files were copied from.
//!
//! NAT rules follow the firmware: `nat_address` and `nat_received_processing` are read only
//! when `nat_enable` is 1. The seed's "dumb firewall" recipe (`nat_enable : 0` with a public
//! `nat_address`) therefore advertises the LAN address and relies on the router's SIP ALG
//! rewriting SIP — which is why the advice is "don't NAT in two places".

use super::finding::{Finding, Origin, Severity};
use super::load::Raw;
use super::phone::{MAX_LINES, PhoneConfig};
use super::value::UNPROVISIONED;
use std::collections::HashMap;

/// The raw values and origins lint rules need beside the typed config.
pub struct Effective<'a> {
    raw: &'a HashMap<String, Raw>,
    origins: &'a HashMap<String, Origin>,
}

impl<'a> Effective<'a> {
    pub(crate) fn new(raw: &'a HashMap<String, Raw>, origins: &'a HashMap<String, Origin>) -> Self {
        Self { raw, origins }
    }

    /// Where a key's value came from (`default` when it is in no file or was wrong).
    fn origin(&self, key: &str) -> Origin {
        self.origins.get(key).cloned().unwrap_or(Origin::Default)
    }

    /// Where a key was written, even when its value was rejected.
    fn written_at(&self, key: &str) -> Origin {
        self.raw.get(key).map(|r| r.origin.clone()).unwrap_or(Origin::Default)
    }

    /// The value as written, if the key was written at all.
    fn raw(&self, key: &str) -> Option<&str> {
        self.raw.get(key).map(|r| r.value.as_str())
    }
}

/// Runs every rule. Each finding is reported once.
pub fn lint(config: &PhoneConfig, eff: &Effective<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    nat(config, eff, &mut out);
    provisioning(config, eff, &mut out);
    leftovers(config, eff, &mut out);
    ports_and_timers(config, eff, &mut out);
    out
}

fn finding(
    severity: Severity,
    code: &'static str,
    origin: Origin,
    key: &str,
    problem: String,
    advice: &str,
) -> Finding {
    Finding { severity, code, origin, key: Some(key.to_owned()), problem, advice: advice.to_owned() }
}

fn nat(c: &PhoneConfig, eff: &Effective<'_>, out: &mut Vec<Finding>) {
    let nat = &c.nat;
    let address_written =
        eff.raw("nat_address").filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case(UNPROVISIONED));
    if !nat.enable {
        if let Some(address) = address_written {
            out.push(finding(
                Severity::Warning,
                "nat-address-ignored",
                eff.written_at("nat_address"),
                "nat_address",
                format!(
                    "{address} is ignored because nat_enable is 0 ({}): the phone advertises its LAN address, \
                     which works only while the router's SIP ALG rewrites every SIP message (the \"dumb firewall\" recipe)",
                    eff.origin("nat_enable")
                ),
                "don't NAT in two places: either set nat_enable : 1 and turn the router's SIP ALG off, \
                 or remove nat_address and let the ALG do the rewriting",
            ));
        }
        if nat.received_processing {
            out.push(finding(
                Severity::Warning,
                "received-processing-ignored",
                eff.origin("nat_received_processing"),
                "nat_received_processing",
                format!("1 has no effect while nat_enable is 0 ({})", eff.origin("nat_enable")),
                "set nat_enable : 1 as well (the \"smart firewall\" recipe), or set nat_received_processing : 0",
            ));
        }
        return;
    }
    match (&nat.address, nat.received_processing) {
        (Some(address), true) => out.push(finding(
            Severity::Warning,
            "nat-address-and-received",
            eff.origin("nat_received_processing"),
            "nat_received_processing",
            format!(
                "is 1 and nat_address is fixed to {address} ({}): the phone starts with {address}, and the \
                 received= address in the registrar's 200 OK wins as soon as it differs",
                eff.origin("nat_address")
            ),
            "keep one: a fixed nat_address for 1:1 static NAT, or nat_address : \"\" with received processing for PAT",
        )),
        (None, false) => out.push(finding(
            Severity::Warning,
            "nat-lan-address",
            eff.origin("nat_enable"),
            "nat_enable",
            "is 1 but nat_address is empty and nat_received_processing is 0: the phone still advertises its LAN address".into(),
            "set nat_received_processing : 1 (the \"smart firewall\" recipe) or put the public address in nat_address",
        )),
        _ => {}
    }
}

fn provisioning(c: &PhoneConfig, eff: &Effective<'_>, out: &mut Vec<Finding>) {
    let mut any = false;
    for n in 1..=MAX_LINES {
        let name_key = format!("line{n}_name");
        if eff.raw(&name_key).is_some_and(|v| v.eq_ignore_ascii_case(UNPROVISIONED)) {
            out.push(finding(
                Severity::Info,
                "line-unprovisioned",
                eff.origin(&name_key),
                &name_key,
                format!("line {n} is UNPROVISIONED and not used"),
                "nothing to do",
            ));
        }
        let Some(line) = c.lines.get(n - 1).filter(|l| l.is_provisioned()) else { continue };
        any = true;
        let missing: Vec<&str> =
            [("password", line.password.is_empty()), ("authname", line.authname.is_empty())]
                .iter()
                .filter(|(_, m)| *m)
                .map(|(what, _)| *what)
                .collect();
        if !missing.is_empty() {
            out.push(finding(
                Severity::Warning,
                "line-credentials",
                eff.origin(&name_key),
                &name_key,
                format!("line {n} ({}) has a name but no {}", line.name, missing.join(" and no ")),
                &format!("set line{n}_authname and line{n}_password to the SIP credentials of the provider"),
            ));
        }
        if c.proxy_for_line(n).is_none() {
            out.push(finding(
                Severity::Error,
                "no-proxy",
                eff.origin(&format!("proxy{n}_address")),
                &format!("proxy{n}_address"),
                format!(
                    "line {n} ({}) has no registrar: proxy{n}_address and proxy1_address are both empty",
                    line.name
                ),
                "set proxy1_address to the provider's registrar, e.g. sipgate.co.uk",
            ));
        }
    }
    if any && !c.registration.proxy_register {
        out.push(finding(
            Severity::Warning,
            "proxy-register-off",
            eff.origin("proxy_register"),
            "proxy_register",
            "is 0 but lines are provisioned: a 7940 with these files alone may never register, \
             and then no inbound call reaches it"
                .into(),
            "add proxy_register : 1 to SIPDefault.cnf (sip7940 registers provisioned lines either way)",
        ));
    }
    if !any {
        out.push(Finding {
            severity: Severity::Warning,
            code: "no-lines",
            origin: Origin::Default,
            key: None,
            problem: "no line is provisioned".into(),
            advice: "set line1_name, line1_authname and line1_password in SIP<MAC>.cnf".into(),
        });
    }
}

fn leftovers(c: &PhoneConfig, eff: &Effective<'_>, out: &mut Vec<Finding>) {
    let towards_sipgate = [&c.outbound_proxy, &c.proxies[0]]
        .iter()
        .filter_map(|p| p.address.as_ref())
        .any(|h| h.to_string().to_ascii_lowercase().contains("sipgate"));
    if c.outbound_proxy.port == 5082 && towards_sipgate {
        out.push(finding(
            Severity::Warning,
            "port-5082",
            eff.origin("outbound_proxy_port"),
            "outbound_proxy_port",
            "5082 is the old Free World Dialup NAT proxy port copied from 7940 samples; sipgate answers on 5060".into(),
            "set outbound_proxy_port : 5060",
        ));
    }
    let g = &c.management;
    for (key, value, max) in [
        ("phone_label", g.phone_label.as_str(), 11),
        ("phone_prompt", g.phone_prompt.as_str(), 15),
        ("phone_password", g.phone_password.expose(), 31),
    ] {
        let len = value.chars().count();
        if len > max {
            out.push(finding(
                Severity::Warning,
                "too-long",
                eff.origin(key),
                key,
                format!("is {len} characters; the 7940 allows at most {max}"),
                &format!("shorten it to at most {max} characters"),
            ));
        }
    }
}

fn ports_and_timers(c: &PhoneConfig, eff: &Effective<'_>, out: &mut Vec<Finding>) {
    let nat = &c.nat;
    let (start, end) = (nat.start_media_port, nat.end_media_port);
    if start > end {
        out.push(finding(
            Severity::Error,
            "media-range",
            eff.origin("end_media_port"),
            "end_media_port",
            format!("{end} is below start_media_port {start}: the media port range is inverted"),
            "swap the two values",
        ));
    } else if end - start < 1 {
        out.push(finding(
            Severity::Error,
            "media-range",
            eff.origin("end_media_port"),
            "end_media_port",
            format!("the media port range {start}..{end} has no room for an RTP and an RTCP port"),
            "give the range at least two ports (RTP even, RTCP next to it)",
        ));
    } else if (start..=end).contains(&nat.voip_control_port) {
        out.push(finding(
            Severity::Error,
            "media-range",
            eff.origin("voip_control_port"),
            "voip_control_port",
            format!("{} lies inside the media port range {start}..{end}", nat.voip_control_port),
            "move voip_control_port (usually 5060) or the media range apart",
        ));
    }
    let r = &c.registration;
    if r.expires.saturating_sub(r.delta) < 60 {
        out.push(finding(
            Severity::Warning,
            "register-too-short",
            eff.origin("timer_register_expires"),
            "timer_register_expires",
            format!(
                "{} minus timer_register_delta {} leaves under 60 s, which the firmware treats as a failed registration",
                r.expires, r.delta
            ),
            "use at least 65 (3600 is the default)",
        ));
    }
    if c.timers.t2_ms < c.timers.t1_ms {
        out.push(finding(
            Severity::Error,
            "timers",
            eff.origin("timer_t2"),
            "timer_t2",
            format!("{} ms is below timer_t1 {} ms", c.timers.t2_ms, c.timers.t1_ms),
            "timer_t2 must be at least timer_t1 (defaults 4000 and 500)",
        ));
    }
}
