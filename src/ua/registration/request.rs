//! The REGISTER a 7940 sends (firmware 8; see the reference's "On the wire"):
//!
//! ```text
//! REGISTER sip:<proxy1_address> SIP/2.0
//! Via: SIP/2.0/UDP <ip>:<voip_control_port>;branch=z9hG4bK<hex>
//! From: <sip:<line1_name>@<proxy1_address>>;tag=<mac>-<hex>
//! To: <sip:<line1_name>@<proxy1_address>>
//! Call-ID: <mac>-<hex>@<ip>
//! Max-Forwards: 70
//! Date: <RFC 1123 GMT date>
//! CSeq: <n> REGISTER
//! User-Agent: Cisco-CP7940G/8.0
//! Contact: <sip:<line1_name>@<ip>:<port>;transport=udp>;+sip.instance="<urn:uuid:...<mac>>"
//! Content-Length: 0
//! Expires: <timer_register_expires>
//! ```
//! The expiry travels in `Expires`, not as a Contact parameter. Via carries no `rport`
//! unless the `nat_rport` extension is on.

use crate::config::Host;
use crate::config::value::UserInfo;
use crate::sip::message::scalar::SipDate;
use crate::sip::message::{HeaderName, Method, Request};
use std::net::SocketAddr;

/// A host as it goes into a SIP URI (IPv6 in brackets).
pub fn uri_host(host: &Host) -> String {
    match host {
        Host::Ip(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
        other => other.to_string(),
    }
}

/// `host` or `host:port` (the port is left out when it is 5060).
pub fn host_port(host: &Host, port: u16) -> String {
    if port == 5060 { uri_host(host) } else { format!("{}:{port}", uri_host(host)) }
}

/// Everything that varies between REGISTERs.
#[derive(Debug, Clone)]
pub struct RegisterParams<'a> {
    /// The registrar (`proxyN_address`): Request-URI and domain of To/From.
    pub registrar: &'a Host,
    /// `proxyN_port`.
    pub registrar_port: u16,
    /// The line's name (user part of To/From).
    pub user: &'a str,
    /// The Contact user (`lineN_contact`, else the name).
    pub contact_user: &'a str,
    /// Via sent-by.
    pub sent_by: SocketAddr,
    /// The Contact address; `None` asks for the current bindings.
    pub contact: Option<SocketAddr>,
    /// `Expires` (0 un-registers).
    pub expires: u32,
    /// Via branch (with the magic cookie).
    pub branch: &'a str,
    /// Call-ID, kept for the line across refreshes.
    pub call_id: &'a str,
    /// From tag, kept for the line across refreshes.
    pub from_tag: &'a str,
    /// CSeq number, rising.
    pub cseq: u32,
    /// Date header.
    pub date: SipDate,
    /// User-Agent.
    pub user_agent: &'a str,
    /// `+sip.instance` URN, e.g. `urn:uuid:00000000-0000-0000-0000-000c30a97025`.
    pub instance: &'a str,
    /// Add `;rport` to Via (the `nat_rport` extension).
    pub rport: bool,
    /// `user_info`: `;user=` on the To/From URI.
    pub user_info: UserInfo,
    /// `Authorization` / `Proxy-Authorization` headers answering challenges.
    pub authorization: Vec<(HeaderName, String)>,
}

/// Builds the REGISTER.
pub fn register(p: &RegisterParams<'_>) -> Request {
    let domain = host_port(p.registrar, p.registrar_port);
    let user_param = match p.user_info {
        UserInfo::None => "",
        UserInfo::Phone => ";user=phone",
        UserInfo::Ip => ";user=ip",
    };
    let aor = format!("<sip:{}@{domain}{user_param}>", p.user);
    let rport = if p.rport { ";rport" } else { "" };
    let mut req = Request::new(Method::Register, format!("sip:{domain}"))
        .with(HeaderName::Via, format!("SIP/2.0/UDP {};branch={}{rport}", p.sent_by, p.branch))
        .with(HeaderName::From, format!("{aor};tag={}", p.from_tag))
        .with(HeaderName::To, aor)
        .with(HeaderName::CallId, p.call_id)
        .with(HeaderName::MaxForwards, "70")
        .with(HeaderName::Date, p.date.to_string())
        .with(HeaderName::CSeq, format!("{} REGISTER", p.cseq))
        .with(HeaderName::UserAgent, p.user_agent);
    if let Some(contact) = p.contact {
        req = req.with(
            HeaderName::Contact,
            format!("<sip:{}@{contact};transport=udp>;+sip.instance=\"<{}>\"", p.contact_user, p.instance),
        );
    }
    for (name, value) in &p.authorization {
        req = req.with(*name, value.as_str());
    }
    req.with(HeaderName::Expires, p.expires.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_like_a_7940() {
        let registrar = Host::parse("sipgate.co.uk").unwrap();
        let p = RegisterParams {
            registrar: &registrar,
            registrar_port: 5060,
            user: "12345",
            contact_user: "12345",
            sent_by: "10.0.0.3:5060".parse().unwrap(),
            contact: Some("10.0.0.3:5060".parse().unwrap()),
            expires: 3600,
            branch: "z9hG4bK1a2b3c4d",
            call_id: "000c30a97025-5e6f7a8b@10.0.0.3",
            from_tag: "000c30a97025-01020304",
            cseq: 101,
            date: SipDate::from_unix(1_795_505_393),
            user_agent: "Cisco-CP7940G/8.0",
            instance: "urn:uuid:00000000-0000-0000-0000-000c30a97025",
            rport: false,
            user_info: UserInfo::None,
            authorization: Vec::new(),
        };
        let text = String::from_utf8(register(&p).to_bytes()).unwrap();
        let expected = "REGISTER sip:sipgate.co.uk SIP/2.0\r\n\
            Via: SIP/2.0/UDP 10.0.0.3:5060;branch=z9hG4bK1a2b3c4d\r\n\
            From: <sip:12345@sipgate.co.uk>;tag=000c30a97025-01020304\r\n\
            To: <sip:12345@sipgate.co.uk>\r\n\
            Call-ID: 000c30a97025-5e6f7a8b@10.0.0.3\r\n\
            Max-Forwards: 70\r\n\
            Date: Tue, 24 Nov 2026 07:29:53 GMT\r\n\
            CSeq: 101 REGISTER\r\n\
            User-Agent: Cisco-CP7940G/8.0\r\n\
            Contact: <sip:12345@10.0.0.3:5060;transport=udp>;+sip.instance=\"<urn:uuid:00000000-0000-0000-0000-000c30a97025>\"\r\n\
            Expires: 3600\r\n\
            Content-Length: 0\r\n\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn ports_ipv6_user_info_and_queries() {
        let registrar = Host::parse("::1").unwrap();
        assert_eq!(host_port(&registrar, 5070), "[::1]:5070");
        let p = RegisterParams {
            registrar: &registrar,
            registrar_port: 5070,
            user: "1",
            contact_user: "1",
            sent_by: "[::1]:5062".parse().unwrap(),
            contact: None,
            expires: 0,
            branch: "z9hG4bKx",
            call_id: "c",
            from_tag: "t",
            cseq: 1,
            date: SipDate::from_unix(0),
            user_agent: "ua",
            instance: "urn:uuid:x",
            rport: true,
            user_info: UserInfo::Phone,
            authorization: vec![(HeaderName::Authorization, "Digest x".into())],
        };
        let text = String::from_utf8(register(&p).to_bytes()).unwrap();
        assert!(text.starts_with(
            "REGISTER sip:[::1]:5070 SIP/2.0\r\nVia: SIP/2.0/UDP [::1]:5062;branch=z9hG4bKx;rport\r\n"
        ));
        assert!(text.contains("To: <sip:1@[::1]:5070;user=phone>\r\n"));
        assert!(!text.contains("Contact"));
        assert!(text.contains("Authorization: Digest x\r\nExpires: 0\r\n"));
    }
}
