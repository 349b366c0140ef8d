//! The groups of parameters a [`PhoneConfig`](super::PhoneConfig) is made of, with the
//! 7940 firmware's defaults.

use super::host::Host;
use super::phone::SPEED_DIALS;
use super::value::{Codec, DtmfOutOfBand, Feature, Secret, SntpMode, UserInfo};
use std::net::Ipv4Addr;

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
    /// `nat_symmetric_rtp` (default 0) (sip7940 extension): send RTP (and RTCP) to where the
    /// far end's RTP comes from, not to the address its SDP gives.
    pub symmetric_rtp: bool,
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
            symmetric_rtp: false,
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
