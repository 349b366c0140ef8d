//! The UDP edge: one task owns the [`Phone`], waits on the socket, the phone's next
//! deadline and a shutdown signal, feeds what happens in, and sends what comes out.
//! No locks: nothing else touches the phone.

use super::clock::time_of_day;
use crate::ua::{Event, Output, Phone};
use std::future::Future;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::UdpSocket;

/// Largest datagram we read (the UDP maximum).
const MAX_DATAGRAM: usize = 65_535;

/// What the driver prints besides errors.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceOptions {
    /// Print every SIP message sent and received (the firmware's `debug sip-messages`).
    pub sip_messages: bool,
}

/// Runs the phone on `socket` until `shutdown` completes or the socket fails.
pub async fn run(
    phone: &mut Phone,
    socket: &UdpSocket,
    trace: TraceOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let local = socket.local_addr()?;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    tokio::pin!(shutdown);
    loop {
        flush(phone, socket, local, trace).await;
        let deadline = phone.poll_timeout();
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                match received {
                    Ok((n, from)) => {
                        let bytes = buf.get(..n).unwrap_or_default();
                        if trace.sip_messages {
                            print_message("RX", from, local, bytes);
                        }
                        phone.handle_datagram(Instant::now(), from, bytes);
                    }
                    // ICMP port unreachable from an earlier send surfaces here on Linux;
                    // it is not fatal for a UDP phone.
                    Err(err) if err.kind() == std::io::ErrorKind::ConnectionRefused => {}
                    Err(err) => return Err(err),
                }
            }
            () = sleep => phone.handle_timeout(Instant::now()),
            () = &mut shutdown => {
                flush(phone, socket, local, trace).await;
                return Ok(());
            }
        }
    }
}

async fn flush(phone: &mut Phone, socket: &UdpSocket, local: SocketAddr, trace: TraceOptions) {
    while let Some(output) = phone.poll_output() {
        match output {
            Output::Transmit(t) => {
                if trace.sip_messages {
                    print_message("TX", local, t.to, &t.bytes);
                }
                if let Err(err) = socket.send_to(&t.bytes, t.to).await {
                    eprintln!("{} send to {} failed: {err}", time_of_day(), t.to);
                }
            }
            Output::Event(Event::Dropped { from, reason }) => {
                if trace.sip_messages {
                    println!("{} dropped from {from}: {reason}", time_of_day());
                }
            }
        }
    }
}

fn print_message(direction: &str, from: SocketAddr, to: SocketAddr, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    println!("{} {direction} {from} -> {to} ({} bytes)\n{}", time_of_day(), bytes.len(), text.trim_end());
    println!();
}
