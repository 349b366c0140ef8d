//! The SIP message codec (RFC 3261 §7, §25): zero-copy parsing, typed headers on demand,
//! printing of owned messages, framing and validation.
//!
//! # Parsing
//! [`parse_datagram`] splits a datagram into a [`Message`]: the start line, every header in
//! received order (name as written, classified [`HeaderName`] or unknown, raw value) and the
//! body. Nothing else is interpreted: typed values come from accessors such as
//! [`Message::vias`], [`Message::from`], [`Message::cseq`] or [`Message::contacts`], which
//! parse when called and report errors with line and column. Compact header names, any case,
//! whitespace around `:`, folded lines, unknown methods and headers and non-UTF-8 bytes are
//! accepted. [`frame_stream`] frames messages on TCP/TLS.
//!
//! # Printing
//! [`Request`] and [`Response`] are owned; they print canonical header names and compute
//! Content-Length from the body. [`response_to`] builds a response to a parsed request
//! (RFC 3261 §8.2.6); [`Message::to_owned_message`] copies a parsed message.
//!
//! # Validation
//! [`validate_request`] / [`validate_response`] run the checks a UA needs; [`can_respond`]
//! and [`rejection`] tell whether and how to answer a broken request.
//!
//! # Files
//! `parse` (start line, header splitting), `framing` (datagram/stream, Content-Length),
//! `access` (typed accessors on [`Message`]), `header_name`, `method`, `lex` (shared
//! scanning), `params`, `uri`, `via`, `name_addr` (From/To/Contact/Route), `auth`, `scalar`
//! (CSeq, Max-Forwards, media types, Warning, Date...), `print` (owned messages), `reason`,
//! `validate`, `error`.
//!
//! # Robustness
//! No code path reachable from network input panics (the lints below are denied), nothing
//! recurses, and nothing allocates in proportion to a length the peer declares.
#![deny(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod access;
pub mod auth;
pub mod date;
pub mod error;
pub mod framing;
pub mod header_name;
pub mod lex;
pub mod method;
pub mod name_addr;
pub mod params;
pub mod parse;
pub mod print;
pub mod reason;
pub mod scalar;
pub mod uri;
pub mod validate;
pub mod via;

pub use auth::{AuthParam, Challenge, Credentials};
pub use error::{ErrorKind, ParseError, ValueError};
pub use framing::{Datagram, StreamFrame, frame_stream, parse_datagram, parse_lenient};
pub use header_name::HeaderName;
pub use method::Method;
pub use name_addr::{Contact, Contacts, DisplayName, NameAddr};
pub use params::{Param, Params};
pub use parse::{Header, Message, RequestLine, StartLine, StatusLine};
pub use print::{Headers, Name, OwnedHeader, OwnedMessage, Request, Response, response_to};
pub use reason::reason_phrase;
pub use scalar::{CSeq, MediaType, Product, Reason, RetryAfter, SipDate, Warning};
pub use uri::{Host, OtherUri, SipUri, TelUri, Uri, UriParams};
pub use validate::{ValidationError, can_respond, rejection, validate_request, validate_response};
pub use via::{Transport, Via};
