//! SIP: the message codec, RFC 3261 transactions, digest authentication and dialogs.
//! Pure: bytes and time in, bytes and deadlines out.

pub mod auth;
pub mod dialog;
pub mod message;
pub mod replaces;
pub mod transaction;
pub mod transport;
