//! The typed phone configuration, with the 7940 firmware's defaults.
//!
//! Each parameter is listed once, in [`PhoneConfig::visit`]: that list is the schema that
//! the reader, the CNF printer and `check` all walk, so a key cannot be known to one and
//! forgotten by another.

use super::host::Host;
use super::value::{Codec, DtmfOutOfBand, Feature, Field, Ranged, Secret, SntpMode, UserInfo};
use std::net::Ipv4Addr;

/// Lines a 7960 has (a 7940 uses the first two).
pub const MAX_LINES: usize = 6;
/// Speed-dial entries.
pub const SPEED_DIALS: usize = 5;

/// Walks every parameter of a [`PhoneConfig`], in schema order.
pub trait Visitor {
    /// Called once per key with the field holding its value.
    fn field(&mut self, key: &str, field: &mut dyn Field);
}

/// A SIP server address and port (`proxy1_address`/`proxy1_port`, `outbound_proxy`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// None when the key is empty or `UNPROVISIONED`.
    pub address: Option<Host>,
    /// UDP port, default 5060.
    pub port: u16,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        Self { address: None, port: 5060 }
    }
}

impl ProxyConfig {
    fn visit(&mut self, address_key: &str, port_key: &str, v: &mut dyn Visitor) {
        v.field(address_key, &mut self.address);
        v.field(port_key, &mut port(&mut self.port));
    }
}

/// One directory number (`lineN_*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineConfig {
    /// `lineN_name`: user part / number; empty when not provisioned.
    pub name: String,
    /// `lineN_authname`: digest user name.
    pub authname: String,
    /// `lineN_password`: digest password.
    pub password: Secret,
    /// `lineN_displayname`: From display name (falls back to the name).
    pub displayname: String,
    /// `lineN_shortname`: button label.
    pub shortname: String,
    /// `lineN_contact`: Contact user override.
    pub contact: String,
}

impl LineConfig {
    /// Whether the line is provisioned (has a name).
    pub fn is_provisioned(&self) -> bool {
        !self.name.is_empty()
    }

    /// The digest user: `authname`, else the line name.
    pub fn auth_user(&self) -> &str {
        if self.authname.is_empty() { &self.name } else { &self.authname }
    }

    /// The display name: `displayname`, else the line name.
    pub fn display(&self) -> &str {
        if self.displayname.is_empty() { &self.name } else { &self.displayname }
    }
}

/// Registration and SIP header options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// `proxy_register` (default 0): send REGISTER for each provisioned line.
    pub proxy_register: bool,
    /// `timer_register_expires` (default 3600) s: requested expiry, and the ceiling on any grant.
    pub expires: u32,
    /// `timer_register_delta` (default 5) s: refresh this long before the grant runs out.
    pub delta: u32,
    /// `user_info` (default none).
    pub user_info: UserInfo,
    /// `remote_party_id` (default 0).
    pub remote_party_id: bool,
}

impl Default for RegistrationConfig {
    fn default() -> Self {
        Self {
            proxy_register: false,
            expires: 3600,
            delta: 5,
            user_info: UserInfo::None,
            remote_party_id: false,
        }
    }
}

/// NAT keys and ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatConfig {
    /// `nat_enable` (default 0): advertise `nat_address` in Via, Contact and SDP.
    pub enable: bool,
    /// `nat_address` (default ""): the public address of the NAT box.
    pub address: Option<Host>,
    /// `nat_received_processing` (default 0): adopt the `received=` IP of REGISTER responses.
    pub received_processing: bool,
    /// `nat_rport` (default 0) (sip7940 extension): send `rport`, learn address and port from it.
    pub rport: bool,
    /// `nat_keepalive` (default 0) s (sip7940 extension): keep the pinhole open; 0 = off.
    pub keepalive: u32,
    /// `voip_control_port` (default 5060): local SIP port, also in Via and Contact.
    pub voip_control_port: u16,
    /// `start_media_port` (default 16384).
    pub start_media_port: u16,
    /// `end_media_port` (default 32766).
    pub end_media_port: u16,
}

impl Default for NatConfig {
    fn default() -> Self {
        Self {
            enable: false,
            address: None,
            received_processing: false,
            rport: false,
            keepalive: 0,
            voip_control_port: 5060,
            start_media_port: 16384,
            end_media_port: 32766,
        }
    }
}

/// RFC 3261 timers and retransmission limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipTimers {
    /// `timer_t1` (default 500) ms.
    pub t1_ms: u32,
    /// `timer_t2` (default 4000) ms.
    pub t2_ms: u32,
    /// `sip_retx` (default 10): non-INVITE retransmissions.
    pub sip_retx: u32,
    /// `sip_invite_retx` (default 6): INVITE retransmissions.
    pub sip_invite_retx: u32,
    /// `timer_invite_expires` (default 180) s.
    pub invite_expires: u32,
}

impl Default for SipTimers {
    fn default() -> Self {
        Self { t1_ms: 500, t2_ms: 4000, sip_retx: 10, sip_invite_retx: 6, invite_expires: 180 }
    }
}

/// Codec, DTMF and media options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// `preferred_codec` (default g711ulaw).
    pub preferred_codec: Codec,
    /// `enable_vad` (default 0).
    pub enable_vad: bool,
    /// `tos_media` (default 5): IP precedence of RTP.
    pub tos_media: u8,
    /// `dtmf_inband` (default 1).
    pub dtmf_inband: bool,
    /// `dtmf_outofband` (default avt).
    pub dtmf_outofband: DtmfOutOfBand,
    /// `dtmf_avt_payload` (default 101).
    pub dtmf_avt_payload: u8,
    /// `dtmf_db_level` (default 3): 1 = -6 dB .. 5 = +6 dB.
    pub dtmf_db_level: u8,
    /// `call_stats` (default 0): RTP-RxStat/RTP-TxStat on BYE and its 200.
    pub call_stats: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            preferred_codec: Codec::G711Ulaw,
            enable_vad: false,
            tos_media: 5,
            dtmf_inband: true,
            dtmf_outofband: DtmfOutOfBand::Avt,
            dtmf_avt_payload: 101,
            dtmf_db_level: 3,
            call_stats: false,
        }
    }
}

/// A speed-dial button (`speed_lineN`, `speed_labelN`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpeedDial {
    /// Number to dial.
    pub number: String,
    /// Button label.
    pub label: String,
}

/// Call features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureConfig {
    /// `anonymous_call_block` (default 0).
    pub anonymous_call_block: Feature,
    /// `callerid_blocking` (default 0).
    pub callerid_blocking: Feature,
    /// `dnd_control` (default 0).
    pub dnd_control: Feature,
    /// `call_hold_ringback` (default 0).
    pub call_hold_ringback: Feature,
    /// `call_waiting` (default 1).
    pub call_waiting: bool,
    /// `cnf_join_enable` (default 1).
    pub cnf_join_enable: bool,
    /// `semi_attended_transfer` (default 1).
    pub semi_attended_transfer: bool,
    /// `stutter_msg_waiting` (default 0).
    pub stutter_msg_waiting: bool,
    /// `cfwd_url` (default ""): forward-all target.
    pub cfwd_url: String,
    /// `local_cfwd_enable` (default 1).
    pub local_cfwd_enable: bool,
    /// `autocomplete` (default 1).
    pub autocomplete: bool,
    /// `dial_template` (default dialplan): dial plan file name without `.xml`.
    pub dial_template: String,
    /// `messages_uri` (default ""): what the Messages key dials.
    pub messages_uri: String,
    /// `accept_direct_calls` (default 0) (sip7940 extension): take calls that bypass the proxy.
    pub accept_direct_calls: bool,
    /// `speed_line1..5` / `speed_label1..5`.
    pub speed_dials: [SpeedDial; SPEED_DIALS],
}

impl Default for FeatureConfig {
    fn default() -> Self {
        Self {
            anonymous_call_block: Feature::Off,
            callerid_blocking: Feature::Off,
            dnd_control: Feature::Off,
            call_hold_ringback: Feature::Off,
            call_waiting: true,
            cnf_join_enable: true,
            semi_attended_transfer: true,
            stutter_msg_waiting: false,
            cfwd_url: String::new(),
            local_cfwd_enable: true,
            autocomplete: true,
            dial_template: "dialplan".into(),
            messages_uri: String::new(),
            accept_direct_calls: false,
            speed_dials: Default::default(),
        }
    }
}

/// Console and management keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementConfig {
    /// `telnet_level` (default 0): 0 off, 1 on, 2 privileged.
    pub telnet_level: u8,
    /// `phone_password` (default cisco), at most 31 characters.
    pub phone_password: Secret,
    /// `phone_prompt` (default SIP Phone), at most 15 characters.
    pub phone_prompt: String,
    /// `phone_label` (default ""), at most 11 characters.
    pub phone_label: String,
    /// `sync` (default 1): a check-sync NOTIFY resyncs when this changed.
    pub sync: String,
    /// `image_version` (default "").
    pub image_version: String,
}

impl Default for ManagementConfig {
    fn default() -> Self {
        Self {
            telnet_level: 0,
            phone_password: Secret::new("cisco"),
            phone_prompt: "SIP Phone".into(),
            phone_label: String::new(),
            sync: "1".into(),
            image_version: String::new(),
        }
    }
}

/// Network keys (DHCP, addresses, TFTP).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkConfig {
    /// `dhcp` (default 1).
    pub dhcp: bool,
    /// `my_ip_addr`.
    pub my_ip_addr: Option<Ipv4Addr>,
    /// `subnet_mask`.
    pub subnet_mask: Option<Ipv4Addr>,
    /// `defaultgw`.
    pub defaultgw: Option<Ipv4Addr>,
    /// `dns_addr`.
    pub dns_addr: Option<Ipv4Addr>,
    /// `dns_backup_1`.
    pub dns_backup_1: Option<Ipv4Addr>,
    /// `dyn_dns_addr_1`.
    pub dyn_dns_addr_1: Option<Ipv4Addr>,
    /// `dyn_dns_addr_2`.
    pub dyn_dns_addr_2: Option<Ipv4Addr>,
    /// `domain_name`.
    pub domain_name: String,
    /// `primary_tftp_addr`.
    pub primary_tftp_addr: Option<Ipv4Addr>,
    /// `dyn_tftp_addr`.
    pub dyn_tftp_addr: Option<Ipv4Addr>,
    /// `tftp_cfg_dir`: where `SIP<MAC>.cnf` lives on the TFTP server.
    pub tftp_cfg_dir: String,
    /// `network_media_type` (default Auto).
    pub network_media_type: String,
    /// `network_port2_type` (default Hub/Switch).
    pub network_port2_type: String,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            dhcp: true,
            my_ip_addr: None,
            subnet_mask: None,
            defaultgw: None,
            dns_addr: None,
            dns_backup_1: None,
            dyn_dns_addr_1: None,
            dyn_dns_addr_2: None,
            domain_name: String::new(),
            primary_tftp_addr: None,
            dyn_tftp_addr: None,
            tftp_cfg_dir: String::new(),
            network_media_type: "Auto".into(),
            network_port2_type: "Hub/Switch".into(),
        }
    }
}

/// Clock keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeConfig {
    /// `sntp_server`.
    pub sntp_server: Option<Host>,
    /// `sntp_mode` (default anycast).
    pub sntp_mode: SntpMode,
    /// `time_zone` (default GMT): a zone abbreviation.
    pub time_zone: String,
    /// `time_format_24hr` (default 1).
    pub time_format_24hr: bool,
    /// `date_format` (default M/D/Y).
    pub date_format: String,
    /// `dst_auto_adjust` (default 1).
    pub dst_auto_adjust: bool,
    /// The other `dst_*` keys, as written (offset, start and stop rules).
    pub dst: [String; DST_KEYS.len()],
}

/// The free-form daylight-saving keys and their defaults.
pub const DST_KEYS: [(&str, &str); 11] = [
    ("dst_offset", "1"),
    ("dst_start_month", "April"),
    ("dst_start_day", "0"),
    ("dst_start_day_of_week", "Sun"),
    ("dst_start_week_of_month", "1"),
    ("dst_start_time", "02:00"),
    ("dst_stop_month", "October"),
    ("dst_stop_day", "0"),
    ("dst_stop_day_of_week", "Sun"),
    ("dst_stop_week_of_month", "8"),
    ("dst_stop_time", "02:00"),
];

impl Default for TimeConfig {
    fn default() -> Self {
        Self {
            sntp_server: None,
            sntp_mode: SntpMode::Anycast,
            time_zone: "GMT".into(),
            time_format_24hr: true,
            date_format: "M/D/Y".into(),
            dst_auto_adjust: true,
            dst: DST_KEYS.map(|(_, default)| default.to_owned()),
        }
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
