//! The user agent: the phone's own logic over the SIP layers — answering requests,
//! and (as the phone grows) registering lines and handling calls. Pure: time and
//! randomness are passed in.

pub mod inbound;
pub mod phone;

pub use phone::{Event, Output, PRODUCT, Phone, Transmit};
