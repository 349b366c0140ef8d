//! RFC 3261 §17 transactions: client and server, INVITE and non-INVITE.
//!
//! Each transaction is a sans-IO state machine: feed it `(now, input)`, then drain
//! [`Output`]s and ask for the next deadline. Nothing here reads a clock or a socket, so the
//! retransmission schedules are tested exactly on simulated time.

pub mod ack;
pub mod client;
pub mod key;
pub mod server;
pub mod timers;

pub use client::{ClientState, ClientTransaction, Kind};
pub use server::{ServerState, ServerTransaction};
pub use timers::TimerConfig;

use std::collections::VecDeque;
use std::sync::Arc;

/// What a transaction asks its owner to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Send these bytes to the transaction's peer.
    Transmit(Arc<[u8]>),
    /// Timer B, F or H fired: no (final) response or ACK came in time.
    TimedOut,
    /// The transaction is over and can be dropped.
    Terminated,
}

type Outputs = VecDeque<Output>;

#[cfg(test)]
mod tests;
