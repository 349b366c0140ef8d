//! The demo registrar ([`crate::registrar`]) on a real UDP socket: one task owns it, feeds
//! it datagrams and timeouts, and sends what it says. For `sip7940 demo` and tests only.

use crate::registrar::{Config, Event, Registrar};
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::net::SocketAddr;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};

/// A running registrar.
pub struct RegistrarHandle {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    events: mpsc::UnboundedReceiver<Event>,
    join: tokio::task::JoinHandle<()>,
}

impl RegistrarHandle {
    /// Events so far (registrations, refusals), without waiting.
    pub fn drain_events(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        while let Ok(e) = self.events.try_recv() {
            out.push(e);
        }
        out
    }

    /// Stops the registrar.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.join.await;
    }
}

/// Binds `addr` (port 0: any free port) and runs a registrar for `users` there. Must run
/// inside a tokio runtime.
pub async fn spawn(
    addr: SocketAddr,
    users: Vec<(String, String)>,
    seed: u64,
) -> std::io::Result<RegistrarHandle> {
    let socket = UdpSocket::bind(addr).await?;
    let addr = socket.local_addr()?;
    let mut registrar = Registrar::new(Config::new(addr, users), StdRng::seed_from_u64(seed), Instant::now());
    let (stop_tx, mut stop_rx) = oneshot::channel();
    let (events_tx, events) = mpsc::unbounded_channel();
    let join = tokio::spawn(async move {
        let mut buf = vec![0u8; 65_535];
        loop {
            while let Some(t) = registrar.poll_output() {
                let _ = socket.send_to(&t.bytes, t.to).await;
            }
            while let Some(e) = registrar.poll_event() {
                let _ = events_tx.send(e);
            }
            let wake = registrar.poll_timeout();
            let sleep = async {
                match wake {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                received = socket.recv_from(&mut buf) => {
                    if let Ok((n, from)) = received {
                        registrar.handle_datagram(Instant::now(), from, buf.get(..n).unwrap_or_default());
                    }
                }
                () = sleep => registrar.handle_timeout(Instant::now()),
                _ = &mut stop_rx => break,
            }
        }
    });
    Ok(RegistrarHandle { addr, stop: Some(stop_tx), events, join })
}
