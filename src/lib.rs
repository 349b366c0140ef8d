//! sip7940: a software Cisco 7940 SIP phone.
//!
//! It boots from the phone's real config files (`SIPDefault.cnf` + `SIP<MAC>.cnf`),
//! registers with a provider under the phone's own NAT rules, and places and answers calls.
//!
//! # Shape
//!
//! ```text
//!  config ──PhoneConfig──▶ ua::Phone ◀──Input (datagram, timeout, command)── io::driver
//!                              │  └──Output (transmit, timeout, event)──▶   (tokio, cpal)
//!                           sip::*  media::*
//! ```
//!
//! * `config`, `sip`, `ua`, `media`, `tftp` and `registrar` are pure (sans-IO): no sockets, no tokio,
//!   no sound card, no wall clock, no global RNG. Time and randomness are passed in, so tests run
//!   on a simulated clock and network, deterministically and in milliseconds.
//! * [`io`] is the only edge; [`cli`] only talks to people.
//! * [`registrar`] is a small registrar and stateless proxy for the demo and the two-phone
//!   tests, not a production proxy.
//!
//! # Panic policy
//!
//! Bad input — from the network or from a config file — is an error value, never a panic.

pub mod cli;
pub mod config;
pub mod io;
pub mod media;
pub mod registrar;
pub mod sdp;
pub mod sip;
pub mod tftp;
pub mod ua;
