//! The user agent: the phone's own logic over the SIP layers — answering requests,
//! registering lines, probing inbound reachability (and, as the phone grows, calls).
//! Pure: time and randomness are passed in.

mod attended;
pub mod call;
mod calls;
mod check_sync;
mod client_side;
mod dial;
pub mod features;
pub mod ghost;
pub mod inbound;
pub mod incoming;
mod incoming_side;
pub mod nat;
pub mod phone;
pub mod registration;
mod server_side;
pub mod session;
pub mod transfer;
mod waiting;

pub use phone::{Event, Output, PRODUCT, Phone, ProbeResult, ResolveRequest, Setup, Transmit};
