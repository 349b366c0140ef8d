//! Pure, sans-IO audio primitives for the phone's media path.
//!
//! Nothing in here touches a clock, a thread, a file or a random-number generator: every
//! function is a deterministic transformation of its inputs, and every stateful type advances
//! only when it is handed (or asked for) samples.
//!
//! * [`g711`]: μ-law (PCMU) and A-law (PCMA) companding, bit-exact to ITU-T G.191.
//! * [`tone`]: phase-continuous single/dual sine generators (DTMF, call-progress tones);
//!   [`cadence`]: their sample-count-driven on/off patterns.
//! * [`goertzel`]: single-frequency power measurement; [`dtmf`]: a DTMF detector on it.
//! * [`rtp`] / [`rtp_receiver`]: RTP sending and receiving (sequence, timestamps, loss,
//!   reordering, RFC 3550 jitter); [`stats`]: per-call figures.
//! * [`pacer`]: 20 ms frames on an absolute schedule; [`source`] / [`sink`]: where frames
//!   come from and go to (tone, samples, silence; collect, null).
//! * [`pcm`]: sound-card sample formats and channel mixing; [`resample`]: streaming
//!   sample-rate conversion between the sound card's rate and 8 kHz (or 48 kHz).

pub mod cadence;
pub mod dtmf;
pub mod g711;
pub mod goertzel;
pub mod pacer;
pub mod pcm;
pub mod resample;
pub mod rtp;
pub mod rtp_receiver;
pub mod sink;
pub mod source;
pub mod stats;
pub mod tone;
