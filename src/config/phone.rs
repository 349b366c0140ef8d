//! The typed phone configuration, with the 7940 firmware's defaults.
//!
//! Each parameter is listed once, in [`PhoneConfig::visit`]: that list is the schema that
//! the reader, the CNF printer and `check` all walk, so a key cannot be known to one and
//! forgotten by another.

pub use super::groups::{
    DST_KEYS, FeatureConfig, LineConfig, ManagementConfig, MediaConfig, NatConfig, NetworkConfig,
    ProxyConfig, RegistrationConfig, SipTimers, SpeedDial, TimeConfig,
};
use super::value::{Field, Ranged};

/// Lines a 7960 has (a 7940 uses the first two).
pub const MAX_LINES: usize = 6;
/// Speed-dial entries.
pub const SPEED_DIALS: usize = 5;

/// Walks every parameter of a [`PhoneConfig`], in schema order.
pub trait Visitor {
    /// Called once per key with the field holding its value.
    fn field(&mut self, key: &str, field: &mut dyn Field);
}

impl ProxyConfig {
    fn visit(&mut self, address_key: &str, port_key: &str, v: &mut dyn Visitor) {
        v.field(address_key, &mut self.address);
        v.field(port_key, &mut port(&mut self.port));
    }
}

/// Everything a 7940 reads from `SIPDefault.cnf` and `SIP<MAC>.cnf`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PhoneConfig {
    /// `proxy1_*`..`proxy6_*`: the registrar/proxy of each line.
    pub proxies: [ProxyConfig; MAX_LINES],
    /// `proxy_backup*`: line 1 also registers here.
    pub proxy_backup: ProxyConfig,
    /// `proxy_emergency*`: used by `Route="Emergency"` dial-plan rules.
    pub proxy_emergency: ProxyConfig,
    /// `outbound_proxy*`: every request goes here when set.
    pub outbound_proxy: ProxyConfig,
    /// Registration keys.
    pub registration: RegistrationConfig,
    /// NAT keys and ports.
    pub nat: NatConfig,
    /// SIP timers.
    pub timers: SipTimers,
    /// Codec and DTMF.
    pub media: MediaConfig,
    /// `line1_*`..`line6_*`.
    pub lines: [LineConfig; MAX_LINES],
    /// Call features.
    pub features: FeatureConfig,
    /// Console and management.
    pub management: ManagementConfig,
    /// Network.
    pub network: NetworkConfig,
    /// Clock.
    pub time: TimeConfig,
    /// Keys sip7940 does not know, kept in file order.
    pub unknown: Vec<(String, String)>,
}

fn port(value: &mut u16) -> Ranged<'_, u16> {
    Ranged::new(value, 1, u16::MAX)
}

fn media_port(value: &mut u16) -> Ranged<'_, u16> {
    Ranged::new(value, 1024, u16::MAX)
}

impl PhoneConfig {
    /// Walks every known key in schema order (unknown keys are not visited).
    pub fn visit(&mut self, v: &mut dyn Visitor) {
        for (i, proxy) in self.proxies.iter_mut().enumerate() {
            let n = i + 1;
            proxy.visit(&format!("proxy{n}_address"), &format!("proxy{n}_port"), v);
        }
        self.proxy_backup.visit("proxy_backup", "proxy_backup_port", v);
        self.proxy_emergency.visit("proxy_emergency", "proxy_emergency_port", v);
        self.outbound_proxy.visit("outbound_proxy", "outbound_proxy_port", v);

        let r = &mut self.registration;
        v.field("proxy_register", &mut r.proxy_register);
        v.field("timer_register_expires", &mut Ranged::new(&mut r.expires, 1, 604_800));
        v.field("timer_register_delta", &mut Ranged::new(&mut r.delta, 0, 32_767));
        v.field("user_info", &mut r.user_info);
        v.field("remote_party_id", &mut r.remote_party_id);

        let nat = &mut self.nat;
        v.field("nat_enable", &mut nat.enable);
        v.field("nat_address", &mut nat.address);
        v.field("nat_received_processing", &mut nat.received_processing);
        v.field("nat_rport", &mut nat.rport);
        v.field("nat_keepalive", &mut Ranged::new(&mut nat.keepalive, 0, 3600));
        v.field("nat_symmetric_rtp", &mut nat.symmetric_rtp);
        v.field("voip_control_port", &mut port(&mut nat.voip_control_port));
        v.field("start_media_port", &mut media_port(&mut nat.start_media_port));
        v.field("end_media_port", &mut media_port(&mut nat.end_media_port));

        let t = &mut self.timers;
        v.field("timer_t1", &mut Ranged::new(&mut t.t1_ms, 100, 10_000));
        v.field("timer_t2", &mut Ranged::new(&mut t.t2_ms, 200, 64_000));
        v.field("sip_retx", &mut Ranged::new(&mut t.sip_retx, 0, 10));
        v.field("sip_invite_retx", &mut Ranged::new(&mut t.sip_invite_retx, 0, 6));
        v.field("timer_invite_expires", &mut Ranged::new(&mut t.invite_expires, 1, 3600));

        let m = &mut self.media;
        v.field("preferred_codec", &mut m.preferred_codec);
        v.field("enable_vad", &mut m.enable_vad);
        v.field("tos_media", &mut Ranged::new(&mut m.tos_media, 0, 7));
        v.field("dtmf_inband", &mut m.dtmf_inband);
        v.field("dtmf_outofband", &mut m.dtmf_outofband);
        v.field("dtmf_avt_payload", &mut Ranged::new(&mut m.dtmf_avt_payload, 96, 127));
        v.field("dtmf_db_level", &mut Ranged::new(&mut m.dtmf_db_level, 1, 5));
        v.field("call_stats", &mut m.call_stats);

        for (i, line) in self.lines.iter_mut().enumerate() {
            let n = i + 1;
            v.field(&format!("line{n}_name"), &mut line.name);
            v.field(&format!("line{n}_authname"), &mut line.authname);
            v.field(&format!("line{n}_password"), &mut line.password);
            v.field(&format!("line{n}_displayname"), &mut line.displayname);
            v.field(&format!("line{n}_shortname"), &mut line.shortname);
            v.field(&format!("line{n}_contact"), &mut line.contact);
        }

        let f = &mut self.features;
        v.field("anonymous_call_block", &mut f.anonymous_call_block);
        v.field("callerid_blocking", &mut f.callerid_blocking);
        v.field("dnd_control", &mut f.dnd_control);
        v.field("call_hold_ringback", &mut f.call_hold_ringback);
        v.field("call_waiting", &mut f.call_waiting);
        v.field("cnf_join_enable", &mut f.cnf_join_enable);
        v.field("semi_attended_transfer", &mut f.semi_attended_transfer);
        v.field("stutter_msg_waiting", &mut f.stutter_msg_waiting);
        v.field("cfwd_url", &mut f.cfwd_url);
        v.field("local_cfwd_enable", &mut f.local_cfwd_enable);
        v.field("autocomplete", &mut f.autocomplete);
        v.field("dial_template", &mut f.dial_template);
        v.field("messages_uri", &mut f.messages_uri);
        v.field("accept_direct_calls", &mut f.accept_direct_calls);
        for (i, speed) in f.speed_dials.iter_mut().enumerate() {
            let n = i + 1;
            v.field(&format!("speed_line{n}"), &mut speed.number);
            v.field(&format!("speed_label{n}"), &mut speed.label);
        }

        let g = &mut self.management;
        v.field("telnet_level", &mut Ranged::new(&mut g.telnet_level, 0, 2));
        v.field("phone_password", &mut g.phone_password);
        v.field("phone_prompt", &mut g.phone_prompt);
        v.field("phone_label", &mut g.phone_label);
        v.field("sync", &mut g.sync);
        v.field("image_version", &mut g.image_version);

        let n = &mut self.network;
        v.field("dhcp", &mut n.dhcp);
        v.field("my_ip_addr", &mut n.my_ip_addr);
        v.field("subnet_mask", &mut n.subnet_mask);
        v.field("defaultgw", &mut n.defaultgw);
        v.field("dns_addr", &mut n.dns_addr);
        v.field("dns_backup_1", &mut n.dns_backup_1);
        v.field("dyn_dns_addr_1", &mut n.dyn_dns_addr_1);
        v.field("dyn_dns_addr_2", &mut n.dyn_dns_addr_2);
        v.field("domain_name", &mut n.domain_name);
        v.field("primary_tftp_addr", &mut n.primary_tftp_addr);
        v.field("dyn_tftp_addr", &mut n.dyn_tftp_addr);
        v.field("tftp_cfg_dir", &mut n.tftp_cfg_dir);
        v.field("network_media_type", &mut n.network_media_type);
        v.field("network_port2_type", &mut n.network_port2_type);

        let c = &mut self.time;
        v.field("sntp_server", &mut c.sntp_server);
        v.field("sntp_mode", &mut c.sntp_mode);
        v.field("time_zone", &mut super::time_zone::TimeZone(&mut c.time_zone));
        v.field("time_format_24hr", &mut c.time_format_24hr);
        v.field("date_format", &mut c.date_format);
        v.field("dst_auto_adjust", &mut c.dst_auto_adjust);
        for ((key, _), value) in DST_KEYS.iter().zip(c.dst.iter_mut()) {
            v.field(key, value);
        }
    }

    /// Every known key, in schema order.
    pub fn keys() -> Vec<String> {
        struct Keys(Vec<String>);
        impl Visitor for Keys {
            fn field(&mut self, key: &str, _: &mut dyn Field) {
                self.0.push(key.to_owned());
            }
        }
        let mut keys = Keys(Vec::new());
        PhoneConfig::default().visit(&mut keys);
        keys.0
    }

    /// The provisioned lines as (1-based number, line).
    pub fn provisioned_lines(&self) -> impl Iterator<Item = (usize, &LineConfig)> {
        self.lines.iter().enumerate().filter(|(_, l)| l.is_provisioned()).map(|(i, l)| (i + 1, l))
    }

    /// The registrar of line `n` (1-based): `proxyN_address`, else `proxy1_address`.
    pub fn proxy_for_line(&self, n: usize) -> Option<&ProxyConfig> {
        let own = self.proxies.get(n.checked_sub(1)?)?;
        if own.address.is_some() { Some(own) } else { self.proxies.first().filter(|p| p.address.is_some()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Host;

    #[test]
    fn keys_are_unique_and_cover_the_reference() {
        let keys = PhoneConfig::keys();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), keys.len(), "a key is listed twice");
        for k in [
            "proxy1_address",
            "proxy6_port",
            "proxy_backup_port",
            "proxy_emergency",
            "outbound_proxy_port",
            "proxy_register",
            "timer_register_expires",
            "timer_register_delta",
            "nat_enable",
            "nat_address",
            "nat_received_processing",
            "voip_control_port",
            "start_media_port",
            "end_media_port",
            "timer_t1",
            "timer_t2",
            "sip_retx",
            "sip_invite_retx",
            "timer_invite_expires",
            "preferred_codec",
            "dtmf_avt_payload",
            "line6_contact",
            "line2_password",
            "call_waiting",
            "dnd_control",
            "phone_password",
            "telnet_level",
            "my_ip_addr",
            "time_zone",
            "dst_stop_time",
            "speed_label5",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing");
        }
    }

    #[test]
    fn firmware_defaults() {
        let c = PhoneConfig::default();
        assert_eq!(c.proxies[0].port, 5060);
        assert_eq!(c.registration.expires, 3600);
        assert_eq!(c.registration.delta, 5);
        assert_eq!(
            c.timers,
            SipTimers { t1_ms: 500, t2_ms: 4000, sip_retx: 10, sip_invite_retx: 6, invite_expires: 180 }
        );
        assert_eq!((c.nat.start_media_port, c.nat.end_media_port), (16384, 32766));
        assert_eq!(c.media.dtmf_avt_payload, 101);
        assert_eq!(c.management.phone_password.expose(), "cisco");
        assert!(c.features.call_waiting);
    }

    #[test]
    fn line_fallbacks() {
        let mut c = PhoneConfig::default();
        c.lines[1].name = "23456".into();
        assert_eq!(c.lines[1].auth_user(), "23456");
        assert_eq!(c.lines[1].display(), "23456");
        assert_eq!(c.provisioned_lines().map(|(n, _)| n).collect::<Vec<_>>(), vec![2]);
        assert!(c.proxy_for_line(2).is_none());
        c.proxies[0].address = Some(Host::Name("sip.test".into()));
        assert_eq!(c.proxy_for_line(2).and_then(|p| p.address.clone()), Some(Host::Name("sip.test".into())));
        assert!(c.proxy_for_line(7).is_none());
    }
}
