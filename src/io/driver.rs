//! The UDP edge: one task owns the [`Phone`], waits on the socket, the phone's next
//! deadline, name resolutions and a shutdown signal, feeds what happens in, and sends what
//! comes out. No locks: nothing else touches the phone. Name lookups run on the runtime's
//! blocking pool and come back over a channel.
//!
//! SIP tracing goes to stdout with `--sip-trace`, and to a [`TraceTap`] channel when one is
//! set (the console's `debug sip-messages`), independently of each other.

use super::clock::time_of_day;
use crate::ua::{Event, Output, Phone, ResolveRequest};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// Largest datagram we read (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// What the driver prints besides errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceOptions {
    /// Print every SIP message sent and received (the firmware's `debug sip-messages`).
    pub sip_messages: bool,
}

/// Why [`Driver::run_until`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The condition became true.
    Done,
    /// The deadline passed.
    Deadline,
    /// The shutdown signal came.
    Shutdown,
}

type Resolution = (u64, Result<(SocketAddr, IpAddr), String>);

/// Where a copy of the SIP trace goes (one text per message or dropped datagram), besides
/// stdout: the console sessions that asked for `debug sip-messages`.
pub type TraceTap = mpsc::UnboundedSender<String>;

/// The phone on its socket.
pub struct Driver {
    /// The phone (the driver is its only owner).
    pub phone: Phone,
    socket: UdpSocket,
    local: SocketAddr,
    trace: TraceOptions,
    tap: Option<TraceTap>,
    resolved_tx: mpsc::UnboundedSender<Resolution>,
    resolved_rx: mpsc::UnboundedReceiver<Resolution>,
    buf: Vec<u8>,
}

impl Driver {
    /// Wraps a phone and its bound socket.
    pub fn new(phone: Phone, socket: UdpSocket, trace: TraceOptions) -> std::io::Result<Self> {
        let local = socket.local_addr()?;
        let (resolved_tx, resolved_rx) = mpsc::unbounded_channel();
        Ok(Self {
            phone,
            socket,
            local,
            trace,
            tap: None,
            resolved_tx,
            resolved_rx,
            buf: vec![0; MAX_DATAGRAM],
        })
    }

    /// Sends a copy of the SIP trace to `tap` (or stops, with `None`), whatever
    /// [`TraceOptions::sip_messages`] says about stdout.
    pub fn set_trace_tap(&mut self, tap: Option<TraceTap>) {
        self.tap = tap;
    }

    /// The socket's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Runs the phone until `done(&phone)` holds (checked after every input), `deadline`
    /// passes, or `shutdown` completes. `on_event` sees every event as it happens.
    pub async fn run_until<S: Future<Output = ()>>(
        &mut self,
        deadline: Option<Instant>,
        shutdown: &mut Pin<&mut S>,
        on_event: &mut dyn FnMut(&Phone, &Event),
        done: &mut dyn FnMut(&Phone) -> bool,
    ) -> std::io::Result<Stop> {
        loop {
            self.flush(on_event).await;
            if done(&self.phone) {
                return Ok(Stop::Done);
            }
            let wake = crate::sip::transaction::timers::earliest(self.phone.poll_timeout(), deadline);
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = self.socket.recv_from(&mut self.buf) => match received {
                    Ok((n, from)) => {
                        let bytes = self.buf.get(..n).unwrap_or_default();
                        self.trace_message("RX", from, self.local, bytes);
                        self.phone.handle_datagram(Instant::now(), from, bytes);
                    }
                    // ICMP port unreachable from an earlier send surfaces here on Linux; it
                    // is not fatal for a UDP phone.
                    Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {}
                    Err(err) => return Err(err),
                },
                Some((token, result)) = self.resolved_rx.recv() => {
                    self.phone.handle_resolved(Instant::now(), token, result);
                }
                () = sleep => {
                    let now = Instant::now();
                    self.phone.handle_timeout(now);
                    if deadline.is_some_and(|d| d <= now) {
                        self.flush(on_event).await;
                        return Ok(Stop::Deadline);
                    }
                }
                () = shutdown.as_mut() => {
                    self.flush(on_event).await;
                    return Ok(Stop::Shutdown);
                }
            }
        }
    }

    async fn flush(&mut self, on_event: &mut dyn FnMut(&Phone, &Event)) {
        while let Some(output) = self.phone.poll_output() {
            match output {
                Output::Transmit(t) => {
                    self.trace_message("TX", self.local, t.to, &t.bytes);
                    if let Err(err) = self.socket.send_to(&t.bytes, t.to).await {
                        eprintln!("{} send to {} failed: {err}", time_of_day(), t.to);
                    }
                }
                Output::Resolve(request) => self.resolve(request),
                Output::Event(event) => {
                    match &event {
                        Event::Dropped { from, reason } => {
                            self.trace_text(|| format!("{} dropped from {from}: {reason}", time_of_day()));
                        }
                        Event::Refused { from, reason } => {
                            eprintln!("{} refused a request from {from} (403): {reason}", time_of_day());
                        }
                        _ => {}
                    }
                    on_event(&self.phone, &event);
                }
            }
        }
    }

    /// One traced message, to stdout and the tap as asked.
    fn trace_message(&self, direction: &str, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
        self.trace_text(|| format_message(direction, from, to, bytes));
    }

    /// `text()` (built only when someone reads it) to stdout with `--sip-trace`, and to the tap.
    fn trace_text(&self, text: impl FnOnce() -> String) {
        if !self.trace.sip_messages && self.tap.is_none() {
            return;
        }
        let text = text();
        if self.trace.sip_messages {
            println!("{text}");
        }
        if let Some(tap) = &self.tap {
            let _ = tap.send(text);
        }
    }

    /// Looks a name up on the blocking pool (an A record: IPv4 first), then asks the OS
    /// which local address routes there.
    fn resolve(&self, request: ResolveRequest) {
        let tx = self.resolved_tx.clone();
        tokio::spawn(async move {
            let ResolveRequest { token, host, port } = request;
            let result = match tokio::net::lookup_host((host.as_str(), port)).await {
                Ok(addrs) => {
                    let addrs: Vec<SocketAddr> = addrs.collect();
                    match addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()) {
                        Some(addr) => source_ip(*addr).map(|ip| (*addr, ip)),
                        None => Err(format!("{host} has no address")),
                    }
                }
                Err(err) => Err(err.to_string()),
            };
            let _ = tx.send((token, result));
        });
    }
}

/// The local address the OS would use to reach `to` (a connected UDP socket sends
/// nothing).
pub fn source_ip(to: SocketAddr) -> Result<IpAddr, String> {
    let any: SocketAddr = if to.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }.parse().map_err(|_| "address")?;
    let probe = std::net::UdpSocket::bind(any).map_err(|e| e.to_string())?;
    probe.connect(to).map_err(|e| format!("no route to {to}: {e}"))?;
    probe.local_addr().map(|a| a.ip()).map_err(|e| e.to_string())
}

/// Whether `ip` is an address of this host (it can be bound).
pub fn is_local_ip(ip: IpAddr) -> bool {
    std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

/// A traced message: time, direction, addresses and size, then the message and a blank line.
fn format_message(direction: &str, from: SocketAddr, to: SocketAddr, bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    format!("{} {direction} {from} -> {to} ({} bytes)\n{}\n", time_of_day(), bytes.len(), text.trim_end())
}
