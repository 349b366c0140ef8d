//! Pure, sans-IO audio primitives for the phone's media path.
//!
//! Nothing in here touches a clock, a thread, a file or a random-number generator: every
//! function is a deterministic transformation of its inputs, and every stateful type advances
//! only when it is handed (or asked for) samples.
//!
//! * [`g711`]: μ-law (PCMU) and A-law (PCMA) companding, bit-exact to ITU-T G.191;
//!   [`opus`]: Opus (RFC 7587) at 8 kHz mono over libopus, with its PLC and in-band FEC.
//! * [`tone`]: phase-continuous single/dual sine generators (DTMF, call-progress tones);
//!   [`cadence`]: their sample-count-driven on/off patterns; [`progress_tone`]: the phone's
//!   dial, ringback, busy, reorder, ring and call-waiting tones built from them.
//! * [`goertzel`]: single-frequency power measurement; [`dtmf`]: a DTMF detector on it.
//! * DTMF on the wire: [`dtmf_plan`] picks in-band tones or RFC 4733 events from the 7940's
//!   `dtmf_*` settings and SDP; [`dtmf_sender`] plays digits frame by frame as either;
//!   [`telephone_event`] is the 4-octet event payload; [`dtmf_receiver`] turns received
//!   events, and [`dtmf_inband`] decoded audio, back into digits.
//! * [`rtp`] / [`rtp_receiver`]: RTP sending and receiving (sequence, timestamps, loss,
//!   reordering, RFC 3550 jitter); [`stats`]: per-call figures.
//! * [`rtcp`]: RTCP reports, CNAME and BYE, the report interval, far-end loss/jitter/RTT;
//!   [`call_stats`]: the 7940's `RTP-RxStat` / `RTP-TxStat` header values;
//!   [`quality`]: an ITU-T G.107 E-model estimate (R, MOS) from loss and delay.
//! * [`jitter`]: the adaptive playout buffer for received audio, built from [`jitter_source`]
//!   (which packets belong to the stream), [`playout_delay`] (how much delay to add, and when
//!   to insert or drop a frame) and [`plc`] (decoders and G.711 packet-loss concealment).
//! * [`engine`]: one call's media put together (sans-IO): send, receive, DTMF, RTCP, report.
//! * [`lateness`]: how late frames leave against their schedule (histogram, percentiles).
//! * [`pacer`]: 20 ms frames on an absolute schedule; [`source`] / [`sink`]: where frames
//!   come from and go to (tone, samples, silence; collect, null).
//! * [`pcm`]: sound-card sample formats and channel mixing; [`resample`]: streaming
//!   sample-rate conversion between the sound card's rate and 8 kHz (or 48 kHz).
//!
//! DTMF, both ways:
//!
//! ```text
//!  digits ─▶ DtmfSender ─(tone in the frame | event packet)─▶ RtpSender ─▶ network
//!  network ─▶ RtpReceiver ─┬─ event PT ─▶ TelephoneEventReceiver ─┐
//!                          └─ audio ─▶ G.711 ─▶ InbandDigits ──────┴─▶ DigitEvent
//! ```

pub mod cadence;
pub mod call_stats;
pub mod dtmf;
pub mod dtmf_inband;
pub mod dtmf_plan;
pub mod dtmf_receiver;
pub mod dtmf_sender;
pub mod engine;
pub mod g711;
pub mod goertzel;
pub mod jitter;
pub mod jitter_source;
pub mod lateness;
pub mod opus;
pub mod pacer;
pub mod pcm;
pub mod playout_delay;
pub mod plc;
pub mod progress_tone;
pub mod quality;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod rtp_receiver;
pub mod sink;
pub mod source;
pub mod stats;
pub mod telephone_event;
pub mod tone;
