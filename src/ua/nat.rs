//! Which address the phone advertises in Via, Contact and SDP, by the 7940's NAT rules.
//!
//! ```text
//!  nat_enable : 0  ─▶ the phone's own address (my_ip_addr if it is this host's, else the
//!                     address the OS routes to the proxy from); nat_address is ignored
//!  nat_enable : 1  ─▶ the received= IP the registrar reported, once learned
//!                     (nat_received_processing : 1), else nat_address when it resolves,
//!                     else the phone's own address
//!  nat_rport : 1   ─▶ (extension) the received= IP and rport= port the registrar saw
//! ```
//! The port is always `voip_control_port`, except with the `nat_rport` extension.

use crate::config::PhoneConfig;
use std::net::{IpAddr, SocketAddr};

/// What the phone has learned about its public address.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatState {
    /// `nat_address`, resolved (None when empty or unresolvable).
    pub nat_ip: Option<IpAddr>,
    /// The `received=` IP adopted by received processing.
    pub received: Option<IpAddr>,
    /// The `received=`/`rport=` pair learned with the `nat_rport` extension.
    pub rport: Option<SocketAddr>,
}

/// The address to put in Via sent-by and Contact, given the phone's own address.
pub fn advertised(config: &PhoneConfig, own_ip: IpAddr, state: &NatState) -> SocketAddr {
    let port = config.nat.voip_control_port;
    if config.nat.rport
        && let Some(learned) = state.rport
    {
        return learned;
    }
    if !config.nat.enable {
        return SocketAddr::new(own_ip, port);
    }
    let ip = state.received.filter(|_| config.nat.received_processing).or(state.nat_ip).unwrap_or(own_ip);
    SocketAddr::new(ip, port)
}

/// Whether a `received=` in a 2xx to REGISTER should make the phone switch its Contact:
/// received processing is on, and the IP differs from the one advertised.
pub fn should_adopt_received(config: &PhoneConfig, advertised: SocketAddr, received: IpAddr) -> bool {
    config.nat.enable && config.nat.received_processing && advertised.ip() != received
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Host;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn config(enable: bool, address: Option<&str>, received: bool) -> PhoneConfig {
        let mut c = PhoneConfig::default();
        c.nat.enable = enable;
        c.nat.address = address.map(|a| Host::parse(a).unwrap());
        c.nat.received_processing = received;
        c
    }

    #[test]
    fn the_firmware_rules() {
        let own = ip("10.0.0.3");
        let nat =
            NatState { nat_ip: Some(ip("203.0.113.10")), received: Some(ip("203.0.113.99")), rport: None };
        // nat_enable 0: nat_address and received are ignored ("dumb firewall").
        assert_eq!(advertised(&config(false, Some("203.0.113.10"), true), own, &nat).ip(), own);
        // nat_enable 1, fixed address, no received processing.
        assert_eq!(
            advertised(&config(true, Some("203.0.113.10"), false), own, &nat).ip(),
            ip("203.0.113.10")
        );
        // received processing wins once learned ("smart firewall").
        assert_eq!(advertised(&config(true, None, true), own, &nat).ip(), ip("203.0.113.99"));
        // nat_enable 1 with nothing known: own address.
        assert_eq!(advertised(&config(true, None, true), own, &NatState::default()).ip(), own);
        assert_eq!(advertised(&config(true, None, true), own, &nat).port(), 5060);
    }

    #[test]
    fn rport_extension_takes_ip_and_port() {
        let mut c = config(false, None, false);
        c.nat.rport = true;
        let learned: SocketAddr = "203.0.113.99:40123".parse().unwrap();
        let nat = NatState { rport: Some(learned), ..Default::default() };
        assert_eq!(advertised(&c, ip("10.0.0.3"), &nat), learned);
    }

    #[test]
    fn adoption() {
        let c = config(true, None, true);
        let adv: SocketAddr = "10.0.0.3:5060".parse().unwrap();
        assert!(should_adopt_received(&c, adv, ip("203.0.113.99")));
        assert!(!should_adopt_received(&c, adv, ip("10.0.0.3")));
        assert!(!should_adopt_received(&config(false, None, true), adv, ip("203.0.113.99")));
    }
}
