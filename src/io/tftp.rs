//! The TFTP edge: a UDP socket and the clock around the sans-IO [`crate::tftp::Download`].
//! Blocking (a read of a few kB that ends within `tries × timeout` when the server is
//! silent); from async code run it on the blocking pool.

use crate::tftp::{Download, Options, TftpError};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Instant;
use thiserror::Error;

/// Why a file could not be fetched.
#[derive(Debug, Error)]
pub enum FetchError {
    /// The transfer failed (no answer, an ERROR from the server, too large).
    #[error("{0}")]
    Tftp(#[from] TftpError),
    /// The local socket failed.
    #[error("socket error: {0}")]
    Socket(#[from] std::io::Error),
}

impl FetchError {
    /// Whether the server said the file is not there.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FetchError::Tftp(e) if e.is_not_found())
    }
}

/// The standard TFTP port.
pub const TFTP_PORT: u16 = 69;

/// Why a TFTP server address is not usable.
#[derive(Debug, Error)]
pub enum ServerError {
    /// The name did not resolve.
    #[error("cannot resolve the TFTP server {host}: {reason}")]
    Resolve {
        /// As given.
        host: String,
        /// Why.
        reason: String,
    },
}

/// Resolves `HOST`, `HOST:PORT`, `IPv4:PORT` or `[IPv6]:PORT` (port 69 when absent) to
/// one address, IPv4 first.
pub fn resolve_server(text: &str) -> Result<SocketAddr, ServerError> {
    let error = |reason: String| ServerError::Resolve { host: text.to_owned(), reason };
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, TFTP_PORT));
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => {
            (host, port.parse::<u16>().map_err(|_| error(format!("{port:?} is not a port")))?)
        }
        None => (text, TFTP_PORT),
    };
    if host.is_empty() {
        return Err(error("no host".into()));
    }
    let addrs: Vec<SocketAddr> = (host, port).to_socket_addrs().map_err(|e| error(e.to_string()))?.collect();
    addrs.iter().find(|a| a.is_ipv4()).or(addrs.first()).copied().ok_or_else(|| error("no address".into()))
}

/// Reads `filename` from the TFTP server at `server`, from a fresh socket (a new transfer
/// ID) on an ephemeral port. Nothing is sent to any other address.
pub fn fetch(server: SocketAddr, filename: &str, options: Options) -> Result<Vec<u8>, FetchError> {
    let any: SocketAddr =
        if server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
    let socket = UdpSocket::bind(any)?;
    let mut download = Download::new(Instant::now(), server, filename, options)?;
    // Room for one more byte than a full DATA, so an oversized one is seen as such.
    let mut buf = [0u8; 4 + crate::tftp::packet::BLOCK_SIZE + 1];
    loop {
        while let Some(t) = download.poll_transmit() {
            debug_assert_eq!(t.to.ip(), server.ip());
            socket.send_to(&t.bytes, t.to)?;
        }
        let Some(deadline) = download.poll_timeout() else { break };
        let now = Instant::now();
        if deadline <= now {
            download.handle_timeout(now);
            continue;
        }
        socket.set_read_timeout(Some(deadline - now))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => download.handle_datagram(Instant::now(), from, buf.get(..n).unwrap_or_default()),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                download.handle_timeout(Instant::now());
            }
            // ICMP port unreachable from an earlier send, or a signal: keep waiting for the
            // timeout, which gives the clearer message.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(FetchError::Socket(e)),
        }
    }
    match download.into_result() {
        Some(result) => Ok(result?),
        None => Err(FetchError::Socket(std::io::Error::other("the transfer stopped unfinished"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses() {
        assert_eq!(resolve_server("127.0.0.1:6969").unwrap(), "127.0.0.1:6969".parse().unwrap());
        assert_eq!(resolve_server("127.0.0.1").unwrap(), "127.0.0.1:69".parse().unwrap());
        assert_eq!(resolve_server("[::1]:70").unwrap(), "[::1]:70".parse().unwrap());
        assert_eq!(resolve_server("::1").unwrap(), "[::1]:69".parse().unwrap());
        assert_eq!(resolve_server("localhost:6970").unwrap().port(), 6970);
        assert!(resolve_server("127.0.0.1:x").is_err());
        assert!(resolve_server(":69").is_err());
    }
}
