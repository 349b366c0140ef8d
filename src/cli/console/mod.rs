//! The 7940's console, sans-IO: the command language ([`command`]) and one session's
//! password gate, prompt and monitor flag ([`session`]). The phone's task
//! (`cli::softphone`) feeds lines in and carries out the commands; `io::console` moves the
//! bytes.

pub mod command;
pub mod session;

pub use command::{Command, Key, RegTarget};
pub use session::{Access, ConsoleSession, Step};
