//! SDP (RFC 8866, formerly RFC 4566) and RFC 3264 offer/answer for the phone's audio.
//!
//! Our own, small codec: sdp-rs 0.2 never types `a=inactive`, prints `opus/48000/2` wrongly,
//! prints to stdout while parsing and drops a last line without CRLF (it stays a test oracle).
//!
//! # Parsing and printing
//! [`parse()`] turns a body (CRLF or LF, last line end optional) into a [`SessionDescription`]
//! or a [`ParseError`] with a line number. Lines the model has no field for are kept as
//! [`RawLine`]s and attributes as name/value pairs in order, typed on demand with
//! [`Attribute::typed`] (`rtpmap`, `fmtp`, `ptime`, `maxptime`, directions, `rtcp`,
//! `rtcp-mux`). Printing ([`SessionDescription::to_bytes`] / `Display`) writes the canonical
//! line order with CRLF after every line, and `parse(print(x)) == x`.
//!
//! # Offer/answer
//! ```text
//!   caller (offerer)                                         callee (answerer)
//!   make_offer(local) ── INVITE + SDP offer ──────────────▶  answer(offer, local)
//!                                                              ├─ Err(AnswerError) → 488
//!                     ◀── 200 OK + SDP answer ─────────────    └─ Ok(answer)
//!   negotiated(offer, answer)                                negotiated(answer, offer)
//!        └──────────── Media { codec, payload_type, dtmf_payload, remote_rtp, ... } ───┘
//!
//!   hold:   LocalSession::next_version, direction SendOnly → re-INVITE (peer answers recvonly)
//!   re-INVITE with the same o= version → classify_remote → Unchanged: keep media as is
//! ```
//! Everything is pure: session id/version, address (NAT already applied) and RTP port are
//! inputs in [`LocalMedia`]; there is no clock and no RNG here.
//!
//! # Robustness
//! No input panics the parser (the lints below are denied, and a property test feeds it
//! arbitrary bytes); nothing recurses; allocation is linear in the input.
#![deny(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod attribute;
pub mod model;
pub mod offer_answer;
pub mod parse;
mod print;

pub use attribute::{AttributeError, Direction, Fmtp, Rtcp, Rtpmap, TypedAttribute};
pub use model::{
    AddrType, Attribute, Bandwidth, Connection, MediaDescription, Origin, RawLine, SessionDescription, Timing,
};
pub use offer_answer::{
    AnswerError, AudioCodec, LocalMedia, LocalSession, Media, NegotiationError, RemoteChange, answer,
    classify_remote, make_offer, negotiated,
};
pub use parse::{ErrorKind, ParseError, parse};
