//! RTCP (RFC 3550 §6) for one audio stream: sender and receiver reports, CNAME, BYE, the
//! report interval, and what the far end's reports say about our stream (loss, jitter,
//! round trip).
//!
//! ```text
//!  RtpSender ──SenderFigures──┐                 ┌──▶ datagram to the RTCP port
//!  RtpReceiver ─ReceiverFigures┼─▶ RtcpSession ─┤     (SR|RR · SDES [· BYE])
//!  Instant + WallClock ────────┘   ▲   │        └──▶ poll_timeout(): next report
//!  datagram from the far end ──────┘   └──▶ RtcpEvent (SR, far-end report + RTT, CNAME, BYE)
//!
//!  packet  — packet types and encoding      parse    — compound parsing, never panics
//!  report  — figures, RFC 3550 A.3 loss     interval — §6.2/6.3/A.7 timing
//!  ntp     — NTP time from Instant + base   events   — what arrived; RTT arithmetic
//!  session — RtcpSession tying them together
//! ```
//!
//! # Why our own codec
//!
//! `rtcp-types` would build and parse these packets, but a call needs only four packet
//! kinds with fixed layouts (about 300 lines here). Writing them directly keeps every read
//! bounds-checked under this module's no-panic lints, lets the tests pin the bytes against
//! the RFC layout without going through another crate's builder types, and adds no
//! dependency. Feedback (RFC 4585) and XR packets are skipped as [`RtcpPacket::Other`].
//!
//! # Scope
//!
//! Two parties: at most one report block (about the one stream we receive), no BYE
//! reconsideration (needed only above 50 members), no SSRC collision handling beyond
//! ignoring RTCP that carries our own SSRC.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

pub mod events;
pub mod interval;
pub mod ntp;
pub mod packet;
pub mod parse;
pub mod report;
pub mod session;

pub use events::{FarEndReport, RtcpEvent, round_trip};
pub use interval::{IntervalParams, g711_session_bandwidth};
pub use ntp::{NtpTime, WallClock};
pub use packet::{ReportBlock, RtcpError, RtcpPacket, SdesChunk, SdesItem, SenderInfo, encode_compound};
pub use parse::parse_compound;
pub use report::{LossInterval, ReceiverFigures, SenderFigures, fraction_lost};
pub use session::{RtcpConfig, RtcpSession};
