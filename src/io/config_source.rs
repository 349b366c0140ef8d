//! Where the phone's files come from: a directory laid out like its TFTP root, or a TFTP
//! server, as the phone boots. Either way the phone reads, in order:
//!
//! 1. `SIPDefault.cnf`;
//! 2. `SIP<MAC>.cnf` (on a TFTP server, under `tftp_cfg_dir` as `SIPDefault.cnf` and
//!    `--set` give it);
//! 3. the dial plan, `<dial_template>.xml` (bytes only: parsing it is the dial plan's job).
//!
//! A missing `SIP<MAC>.cnf` or `SIPDefault.cnf` is a warning (the phone boots with what is
//! there, the firmware's defaults for the rest); both missing is an error. A missing dial
//! plan means no dial plan. [`ConfigSource::fetch`] reads any one file by name, from either
//! place.

use super::config_dir::{ConfigDirError, load_dir};
use super::tftp::{FetchError, fetch as tftp_fetch};
use crate::config::locate::{self, Mac};
use crate::config::{CnfSource, Finding, Loaded, Origin, Severity, load};
use crate::tftp::Options;
use std::net::SocketAddr;
use std::path::PathBuf;
use thiserror::Error;

/// The place the files are read from.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// A directory (`--config-dir`): names matched in any case.
    Dir(PathBuf),
    /// A TFTP server (`--tftp`): names asked for exactly as the firmware spells them.
    Tftp {
        /// The server's address (port 69 unless given).
        server: SocketAddr,
        /// Timeouts, retries and the size cap.
        options: Options,
    },
}

/// One file read from a [`ConfigSource`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The name to show in findings: a path, or `tftp://HOST:PORT/NAME`.
    pub shown: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Why the files could not be read (`check` exits 2, the phone does not start).
#[derive(Debug, Error)]
pub enum SourceError {
    /// The directory or a file in it cannot be read, or holds neither file.
    #[error("{0}")]
    Dir(#[from] ConfigDirError),
    /// A TFTP transfer failed (other than "file not found").
    #[error("tftp {server}: {file}: {source}")]
    Tftp {
        /// The server.
        server: SocketAddr,
        /// The file asked for.
        file: String,
        /// What went wrong.
        source: FetchError,
    },
    /// The TFTP server has neither file.
    #[error("tftp {server}: neither SIPDefault.cnf nor {phone} is there")]
    NoFiles {
        /// The server.
        server: SocketAddr,
        /// The phone's file as asked for.
        phone: String,
    },
    /// A TFTP boot without a MAC: the server cannot be listed.
    #[error(
        "--tftp needs --mac MAC: a TFTP server cannot be listed, and the phone asks for SIP<MAC>.cnf by its own MAC"
    )]
    NoMac,
    /// `--tftp` without a host, and the local files name no `primary_tftp_addr`.
    #[error(
        "--tftp without a host takes primary_tftp_addr from the files in {}, and they set none — give --tftp HOST[:PORT]",
        dir.display()
    )]
    NoTftpAddress {
        /// The local directory.
        dir: PathBuf,
    },
    /// The TFTP server's name did not resolve.
    #[error("{0}")]
    Server(#[from] super::tftp::ServerError),
    /// The task reading the files stopped (it panicked or the runtime shut down).
    #[error("reading the files stopped: {0}")]
    Loader(String),
}

/// The files read and what they say.
#[derive(Debug, Clone)]
pub struct Booted {
    /// The CNF files read, as shown, in reading order.
    pub files: Vec<String>,
    /// The phone's MAC (given, or from the only `SIP<MAC>.cnf` of a directory).
    pub mac: Option<Mac>,
    /// The merged, typed and linted configuration.
    pub loaded: Loaded,
    /// `<dial_template>.xml`, when it is there.
    pub dial_plan: Option<Fetched>,
}

impl Booted {
    /// The dial plan parsed: `None` when there is no `<dial_template>.xml`, else the plan
    /// or its located error.
    pub fn parse_dial_plan(
        &self,
    ) -> Option<Result<crate::config::DialPlan, crate::config::dialplan::DialPlanError>> {
        self.dial_plan.as_ref().map(|f| crate::config::DialPlan::parse(&f.shown, &f.bytes))
    }
}

/// What the phone booted from, kept to read the same files again (`reset`, SIGHUP,
/// check-sync: `cli::boot::reload_config`).
#[derive(Debug, Clone)]
pub struct Provisioning {
    /// Where the files are.
    pub source: ConfigSource,
    /// The phone's MAC; `None` only before the first load from a directory that decides it.
    pub mac: Option<Mac>,
    /// `--set` pairs, applied after the files.
    pub overrides: Vec<(String, String)>,
    /// `--model`: lines past its keys are dropped, with a warning.
    pub model: crate::config::Model,
}

impl Provisioning {
    /// Reads the files (blocking: TFTP waits up to `tries × timeout` per packet on a silent
    /// server; from async code use the blocking pool). Remembers the MAC the first load
    /// found, so a reload reads the same phone's file.
    pub fn load(&mut self) -> Result<Booted, SourceError> {
        let mut booted = self.source.load(self.mac, &self.overrides)?;
        booted.loaded.fit_model(self.model);
        if self.mac.is_none() {
            self.mac = booted.mac;
        }
        Ok(booted)
    }
}

impl ConfigSource {
    /// The place, as shown: the directory, or `tftp://HOST:PORT`.
    pub fn describe(&self) -> String {
        match self {
            ConfigSource::Dir(dir) => dir.display().to_string(),
            ConfigSource::Tftp { server, .. } => format!("tftp://{server}"),
        }
    }

    /// Reads one file by the name the phone asks for; `Ok(None)` when it is not there (a
    /// directory matches the name in any case, the exact spelling first; a TFTP server
    /// said "File not found").
    pub fn fetch(&self, name: &str) -> Result<Option<Fetched>, SourceError> {
        match self {
            ConfigSource::Dir(dir) => Ok(super::config_dir::read_named(dir, name)?
                .map(|(path, bytes)| Fetched { shown: path.display().to_string(), bytes })),
            ConfigSource::Tftp { server, options } => match tftp_fetch(*server, name, *options) {
                Ok(bytes) => Ok(Some(Fetched { shown: format!("tftp://{server}/{name}"), bytes })),
                Err(e) if e.is_not_found() => Ok(None),
                Err(source) => Err(SourceError::Tftp { server: *server, file: name.to_owned(), source }),
            },
        }
    }

    /// Reads and loads the phone's files: `SIPDefault.cnf`, then `SIP<MAC>.cnf`, then
    /// `overrides`; and the dial plan's bytes.
    pub fn load(&self, mac: Option<Mac>, overrides: &[(String, String)]) -> Result<Booted, SourceError> {
        let (files, mac, mut loaded) = match self {
            ConfigSource::Dir(dir) => {
                let from = load_dir(dir, mac, overrides)?;
                let files = from.paths.iter().map(|p| p.display().to_string()).collect();
                (files, from.chosen.mac, from.loaded)
            }
            ConfigSource::Tftp { server, .. } => {
                let mac = mac.ok_or(SourceError::NoMac)?;
                let (files, loaded) = self.load_tftp(*server, mac, overrides)?;
                (files, Some(mac), loaded)
            }
        };
        let dial_plan_name = format!("{}.xml", loaded.config.features.dial_template);
        let dial_plan = match self.fetch(&dial_plan_name) {
            Ok(found) => found,
            Err(err) => {
                loaded.findings.push(Finding {
                    severity: Severity::Warning,
                    code: "missing-file",
                    origin: Origin::Default,
                    key: Some("dial_template".into()),
                    problem: format!("cannot read the dial plan {dial_plan_name}: {err}"),
                    advice: "the phone runs without a dial plan; fix the file or the server".into(),
                });
                None
            }
        };
        Ok(Booted { files, mac, loaded, dial_plan })
    }

    /// The TFTP boot: SIPDefault.cnf, then `<tftp_cfg_dir>SIP<MAC>.cnf`.
    fn load_tftp(
        &self,
        server: SocketAddr,
        mac: Mac,
        overrides: &[(String, String)],
    ) -> Result<(Vec<String>, Loaded), SourceError> {
        let default = self.fetch("SIPDefault.cnf")?;
        let mut sources: Vec<CnfSource> =
            default.into_iter().map(|f| CnfSource { path: f.shown, bytes: f.bytes }).collect();
        // `tftp_cfg_dir` as SIPDefault.cnf and --set leave it, prefixed as written.
        let cfg_dir = load(&sources, overrides).config.network.tftp_cfg_dir;
        let phone_name = format!("{cfg_dir}SIP{mac}.cnf");
        let phone = self.fetch(&phone_name)?;
        let place = self.describe();
        let mut missing = Vec::new();
        if sources.is_empty() {
            if phone.is_none() {
                return Err(SourceError::NoFiles { server, phone: phone_name });
            }
            missing.push(locate::missing_default_finding(&place));
        }
        match phone {
            Some(f) => sources.push(CnfSource { path: f.shown, bytes: f.bytes }),
            None => missing.push(locate::missing_phone_finding(&phone_name, &place)),
        }
        let files = sources.iter().map(|s| s.path.clone()).collect();
        let mut loaded = load(&sources, overrides);
        loaded.findings.splice(0..0, missing);
        Ok((files, loaded))
    }
}
