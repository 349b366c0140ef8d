//! TFTP packets (RFC 1350 §5): read and write requests, DATA, ACK and ERROR, as bytes on
//! the wire. Every number is a 16-bit big-endian integer; strings end in a zero byte.
//!
//! ```text
//!  RRQ/WRQ  | 01/02 | filename | 0 | mode | 0 |
//!  DATA     | 03    | block #  | 0..512 bytes |
//!  ACK      | 04    | block #  |
//!  ERROR    | 05    | code     | message | 0 |
//! ```
//!
//! Pure: parsing never panics on any input; it returns a [`PacketError`].

use std::fmt;
use thiserror::Error;

/// Payload bytes in a full DATA packet; a shorter one ends the transfer.
pub const BLOCK_SIZE: usize = 512;

/// The longest request we build: a request must fit one 512-byte datagram.
const MAX_REQUEST: usize = 512;

/// A TFTP packet, borrowing the datagram it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Read request: send me `filename`.
    ReadRequest {
        /// The file name, as the client wrote it.
        filename: &'a [u8],
        /// `octet`, `netascii` or `mail` (any case).
        mode: &'a [u8],
    },
    /// Write request (we never send one; a server may be handed one by mistake).
    WriteRequest {
        /// The file name.
        filename: &'a [u8],
        /// The mode.
        mode: &'a [u8],
    },
    /// A block of the file.
    Data {
        /// Block number, from 1.
        block: u16,
        /// Up to [`BLOCK_SIZE`] bytes; fewer marks the last block.
        payload: &'a [u8],
    },
    /// Acknowledges a block (block 0 acknowledges a write request).
    Ack {
        /// The block acknowledged.
        block: u16,
    },
    /// The transfer is over, with an error.
    Error {
        /// What went wrong.
        code: ErrorCode,
        /// The sender's words.
        message: &'a [u8],
    },
    /// Option acknowledgement (RFC 2347): a server answering options we never sent.
    OptionAck,
}

/// TFTP error codes (RFC 1350 appendix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0: not defined, see the message.
    NotDefined,
    /// 1: file not found.
    FileNotFound,
    /// 2: access violation.
    AccessViolation,
    /// 3: disk full or allocation exceeded.
    DiskFull,
    /// 4: illegal TFTP operation.
    IllegalOperation,
    /// 5: unknown transfer ID.
    UnknownTransferId,
    /// 6: file already exists.
    FileExists,
    /// 7: no such user.
    NoSuchUser,
    /// Any other number (8 is RFC 2347's option refusal).
    Other(u16),
}

impl ErrorCode {
    /// The number on the wire.
    pub fn number(self) -> u16 {
        match self {
            Self::NotDefined => 0,
            Self::FileNotFound => 1,
            Self::AccessViolation => 2,
            Self::DiskFull => 3,
            Self::IllegalOperation => 4,
            Self::UnknownTransferId => 5,
            Self::FileExists => 6,
            Self::NoSuchUser => 7,
            Self::Other(n) => n,
        }
    }

    /// The code for a number.
    pub fn from_number(n: u16) -> Self {
        match n {
            0 => Self::NotDefined,
            1 => Self::FileNotFound,
            2 => Self::AccessViolation,
            3 => Self::DiskFull,
            4 => Self::IllegalOperation,
            5 => Self::UnknownTransferId,
            6 => Self::FileExists,
            7 => Self::NoSuchUser,
            n => Self::Other(n),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotDefined => f.write_str("Error"),
            Self::FileNotFound => f.write_str("File not found"),
            Self::AccessViolation => f.write_str("Access violation"),
            Self::DiskFull => f.write_str("Disk full or allocation exceeded"),
            Self::IllegalOperation => f.write_str("Illegal TFTP operation"),
            Self::UnknownTransferId => f.write_str("Unknown transfer ID"),
            Self::FileExists => f.write_str("File already exists"),
            Self::NoSuchUser => f.write_str("No such user"),
            Self::Other(n) => write!(f, "TFTP error {n}"),
        }
    }
}

/// Why bytes are not a TFTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PacketError {
    /// Fewer than the 4 bytes every packet but a request has.
    #[error("{0} bytes is too short for a TFTP packet")]
    TooShort(usize),
    /// An opcode that is not 1..=6.
    #[error("unknown TFTP opcode {0}")]
    UnknownOpcode(u16),
    /// A string without its terminating zero byte.
    #[error("a string without its terminating zero byte")]
    Unterminated,
    /// A DATA packet with more than 512 bytes of payload.
    #[error("DATA with {0} bytes (at most 512)")]
    Oversized(usize),
}

/// Why a file name cannot be requested.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// An empty name.
    #[error("the file name is empty")]
    Empty,
    /// A zero byte would end the name early.
    #[error("the file name {0:?} contains a zero byte")]
    ZeroByte(String),
    /// The request would not fit one packet.
    #[error("the file name is {0} bytes long; a request must fit 512 bytes")]
    TooLong(usize),
}

/// The 16-bit number at `at`, if the bytes reach that far.
fn number_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]))
}

/// Splits `bytes` at its first zero byte: (string, rest after the zero).
fn zero_terminated(bytes: &[u8]) -> Result<(&[u8], &[u8]), PacketError> {
    let end = bytes.iter().position(|&b| b == 0).ok_or(PacketError::Unterminated)?;
    Ok((bytes.get(..end).unwrap_or_default(), bytes.get(end + 1..).unwrap_or_default()))
}

impl<'a> Packet<'a> {
    /// Reads one datagram.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, PacketError> {
        let op = number_at(bytes, 0).ok_or(PacketError::TooShort(bytes.len()))?;
        let body = bytes.get(2..).unwrap_or_default();
        let number = || number_at(body, 0);
        match op {
            1 | 2 => {
                let (filename, rest) = zero_terminated(body)?;
                let (mode, _options) = zero_terminated(rest)?;
                Ok(if op == 1 {
                    Packet::ReadRequest { filename, mode }
                } else {
                    Packet::WriteRequest { filename, mode }
                })
            }
            3 => {
                let block = number().ok_or(PacketError::TooShort(bytes.len()))?;
                let payload = body.get(2..).unwrap_or_default();
                if payload.len() > BLOCK_SIZE {
                    return Err(PacketError::Oversized(payload.len()));
                }
                Ok(Packet::Data { block, payload })
            }
            4 => Ok(Packet::Ack { block: number().ok_or(PacketError::TooShort(bytes.len()))? }),
            5 => {
                let code = number().ok_or(PacketError::TooShort(bytes.len()))?;
                let rest = body.get(2..).unwrap_or_default();
                // A missing terminator is tolerated: the message is what is there.
                let message = zero_terminated(rest).map_or(rest, |(m, _)| m);
                Ok(Packet::Error { code: ErrorCode::from_number(code), message })
            }
            6 => Ok(Packet::OptionAck),
            other => Err(PacketError::UnknownOpcode(other)),
        }
    }

    /// The packet as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let string = |out: &mut Vec<u8>, s: &[u8]| {
            out.extend_from_slice(s);
            out.push(0);
        };
        match self {
            Packet::ReadRequest { filename, mode } | Packet::WriteRequest { filename, mode } => {
                let op: u16 = if matches!(self, Packet::ReadRequest { .. }) { 1 } else { 2 };
                out.extend_from_slice(&op.to_be_bytes());
                string(&mut out, filename);
                string(&mut out, mode);
            }
            Packet::Data { block, payload } => {
                out.extend_from_slice(&3u16.to_be_bytes());
                out.extend_from_slice(&block.to_be_bytes());
                out.extend_from_slice(payload);
            }
            Packet::Ack { block } => {
                out.extend_from_slice(&4u16.to_be_bytes());
                out.extend_from_slice(&block.to_be_bytes());
            }
            Packet::Error { code, message } => {
                out.extend_from_slice(&5u16.to_be_bytes());
                out.extend_from_slice(&code.number().to_be_bytes());
                string(&mut out, message);
            }
            Packet::OptionAck => out.extend_from_slice(&6u16.to_be_bytes()),
        }
        out
    }
}

/// A read request for `filename` in octet mode, checked to fit one packet.
pub fn read_request(filename: &str) -> Result<Vec<u8>, NameError> {
    if filename.is_empty() {
        return Err(NameError::Empty);
    }
    if filename.contains('\0') {
        return Err(NameError::ZeroByte(filename.to_owned()));
    }
    let bytes = Packet::ReadRequest { filename: filename.as_bytes(), mode: b"octet" }.to_bytes();
    if bytes.len() > MAX_REQUEST {
        return Err(NameError::TooLong(filename.len()));
    }
    Ok(bytes)
}

/// An ERROR packet's message as text to show: the sender's words (control characters
/// replaced), or the code's standard text when it sent none.
pub fn error_text(code: ErrorCode, message: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(message)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let text = text.trim();
    if text.is_empty() { code.to_string() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_octet_and_zero_terminated() {
        let rrq = read_request("SIPDefault.cnf").unwrap();
        assert_eq!(rrq, b"\x00\x01SIPDefault.cnf\x00octet\x00");
        assert_eq!(
            Packet::parse(&rrq),
            Ok(Packet::ReadRequest { filename: b"SIPDefault.cnf", mode: b"octet" })
        );
        assert_eq!(read_request(""), Err(NameError::Empty));
        assert!(matches!(read_request("a\0b"), Err(NameError::ZeroByte(_))));
        assert_eq!(read_request(&"x".repeat(600)), Err(NameError::TooLong(600)));
    }

    #[test]
    fn every_kind_round_trips() {
        let packets = [
            Packet::Data { block: 7, payload: b"abc" },
            Packet::Data { block: 65535, payload: &[0; 512] },
            Packet::Ack { block: 0 },
            Packet::Error { code: ErrorCode::FileNotFound, message: b"File not found" },
            Packet::Error { code: ErrorCode::Other(8), message: b"" },
            Packet::WriteRequest { filename: b"x", mode: b"netascii" },
            Packet::OptionAck,
        ];
        for p in packets {
            assert_eq!(Packet::parse(&p.to_bytes()), Ok(p), "{p:?}");
        }
    }

    #[test]
    fn broken_packets_are_errors() {
        assert_eq!(Packet::parse(b""), Err(PacketError::TooShort(0)));
        assert_eq!(Packet::parse(b"\x00"), Err(PacketError::TooShort(1)));
        assert_eq!(Packet::parse(b"\x00\x03\x00"), Err(PacketError::TooShort(3)));
        assert_eq!(Packet::parse(b"\x00\x04"), Err(PacketError::TooShort(2)));
        assert_eq!(Packet::parse(b"\x00\x09\x00\x01"), Err(PacketError::UnknownOpcode(9)));
        assert_eq!(Packet::parse(b"\x00\x01name"), Err(PacketError::Unterminated));
        assert_eq!(Packet::parse(b"\x00\x01name\x00octet"), Err(PacketError::Unterminated));
        let mut big = vec![0, 3, 0, 1];
        big.extend([b'x'; 513]);
        assert_eq!(Packet::parse(&big), Err(PacketError::Oversized(513)));
        // An ERROR without its zero byte still says what it can.
        assert_eq!(
            Packet::parse(b"\x00\x05\x00\x02denied"),
            Ok(Packet::Error { code: ErrorCode::AccessViolation, message: b"denied" })
        );
    }

    #[test]
    fn error_texts() {
        assert_eq!(error_text(ErrorCode::FileNotFound, b"File not found"), "File not found");
        assert_eq!(error_text(ErrorCode::AccessViolation, b""), "Access violation");
        assert_eq!(error_text(ErrorCode::NotDefined, b"bad\r\nthing\x07"), "bad  thing");
        assert_eq!(error_text(ErrorCode::Other(9), b" "), "TFTP error 9");
    }

    #[test]
    fn any_bytes_parse_without_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..600 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    (seed % 7) as u8
                })
                .collect();
            let _ = Packet::parse(&bytes);
        }
    }
}
