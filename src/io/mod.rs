//! The edge: everything that touches the file system, sockets, the clock or the sound card
//! (the sound card only in [`audio`]; TFTP in [`tftp`]).
//! The rest of the crate is fed from here.

pub mod audio;
pub mod clock;
pub mod config_dir;
pub mod config_source;
pub mod console;
pub mod driver;
pub mod media_task;
pub mod registrar_task;
pub mod terminal;
pub mod tftp;
pub mod wav;
