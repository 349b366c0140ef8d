//! A TFTP client (RFC 1350) for the phone's boot files: read requests only, octet mode,
//! 512-byte blocks, no options. Pure (sans-IO): `io::tftp` owns the socket and the clock.
//!
//! ```text
//!            RRQ to server:port
//!  Requesting ───────────────────┐ timeout: RRQ again (up to `tries` in all), then NoAnswer
//!     │ DATA 1 from server:TID   │
//!     ▼                          │
//!  Receiving ── DATA n+1 ──▶ append, ACK n+1 ── fewer than 512 bytes ──▶ Finished(file)
//!     │  ▲        DATA n (our ACK was lost) ──▶ ACK n again
//!     │  └─ timeout: last ACK again (up to `tries`), then Stalled
//!     ├── ERROR ──────────────────────────────────────────────────────▶ Finished(error)
//!     └── past max_size: ERROR 3 to the server ───────────────────────▶ Finished(TooLarge)
//! ```

pub mod download;
pub mod packet;

pub use download::{Download, Options, TftpError, Transmit};
