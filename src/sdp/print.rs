//! The SDP printer: canonical order (RFC 8866 §5), CRLF after every line including the last.
//!
//! Session: `v o s [i u e p] c b t(r) [z k unknown] a`, then each media section
//! `m [i] c b [k unknown] a`. Values are written as stored; the parser never stores a CR or
//! LF inside a value, so whatever it parsed prints back to the same description.

use std::fmt::{self, Display, Formatter};

use super::model::{Attribute, Bandwidth, Connection, MediaDescription, Origin, RawLine, SessionDescription};
use super::parse::{media_before_connection, session_before_connection};

impl SessionDescription {
    /// The description as bytes, ready to be a SIP body (`application/sdp`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }
}

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\n{}\r\ns={}\r\n", self.origin, self.session_name)?;
        let (before, after): (Vec<&RawLine>, Vec<&RawLine>) =
            self.extra.iter().partition(|l| session_before_connection(l.kind));
        for line in before {
            write!(f, "{line}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "{c}\r\n")?;
        }
        for b in &self.bandwidths {
            write!(f, "{b}\r\n")?;
        }
        for t in &self.timings {
            write!(f, "t={} {}\r\n", t.start, t.stop)?;
            for r in &t.repeats {
                write!(f, "r={r}\r\n")?;
            }
        }
        for line in after {
            write!(f, "{line}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "{a}\r\n")?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

impl Display for MediaDescription {
    /// The whole media section, every line ended by CRLF.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fmt in &self.formats {
            write!(f, " {fmt}")?;
        }
        f.write_str("\r\n")?;
        let (before, after): (Vec<&RawLine>, Vec<&RawLine>) =
            self.extra.iter().partition(|l| media_before_connection(l.kind));
        for line in before {
            write!(f, "{line}\r\n")?;
        }
        for c in &self.connections {
            write!(f, "{c}\r\n")?;
        }
        for b in &self.bandwidths {
            write!(f, "{b}\r\n")?;
        }
        for line in after {
            write!(f, "{line}\r\n")?;
        }
        for a in &self.attributes {
            write!(f, "{a}\r\n")?;
        }
        Ok(())
    }
}

impl Display for Origin {
    /// `o=...` without line end.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "o={} {} {} {} {} {}",
            self.username,
            self.session_id,
            self.session_version,
            self.net_type,
            self.addr_type.as_str(),
            self.address
        )
    }
}

impl Display for Connection {
    /// `c=...` without line end. A count without TTL is only printed for `IP6`.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "c={} {} {}", self.net_type, self.addr_type.as_str(), self.address)?;
        if let Some(ttl) = self.ttl {
            write!(f, "/{ttl}")?;
        }
        if let Some(n) = self.count {
            write!(f, "/{n}")?;
        }
        Ok(())
    }
}

impl Display for Bandwidth {
    /// `b=...` without line end.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "b={}:{}", self.kind, self.value)
    }
}

impl Display for Attribute {
    /// `a=...` without line end.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "a={}:{}", self.name, v),
            None => write!(f, "a={}", self.name),
        }
    }
}

impl Display for RawLine {
    /// `<kind>=<value>` without line end.
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.kind, self.value)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic, clippy::indexing_slicing)]
mod tests {
    use super::super::parse::parse;

    #[test]
    fn canonical_reorder_and_crlf() {
        let body = "v=0\no=- 1 2 IN IP4 192.0.2.1\ns=-\nt=0 0\nc=IN IP4 192.0.2.1\nu=http://x\nm=audio 5004 RTP/AVP 0\na=sendrecv\nc=IN IP4 192.0.2.2";
        let sd = parse(body.as_bytes()).unwrap();
        assert_eq!(
            sd.to_string(),
            "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nu=http://x\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
             m=audio 5004 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\na=sendrecv\r\n"
        );
        assert_eq!(parse(&sd.to_bytes()).unwrap(), sd);
    }

    #[test]
    fn opus_rtpmap_prints_as_written() {
        let body = "v=0\r\no=- 1 2 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
        assert_eq!(parse(body.as_bytes()).unwrap().to_string(), body);
    }
}
