//! Booting a phone from the command line: read the files (from `--config-dir` or
//! `--tftp`), refuse a broken configuration, bind the SIP socket and set the phone up.
//! Shared by `phone`, `register`, `call` and `loopback`; [`reload_config`] reads the same
//! files again for `reset`, SIGHUP and check-sync.

use super::Cli;
use crate::config::{DialPlan, Severity};
use crate::io::config_source::{Booted, ConfigSource, Provisioning, SourceError};
use crate::io::driver::{Driver, TraceOptions, is_local_ip};
use crate::ua::{Phone, Setup};
use std::net::{IpAddr, SocketAddr};
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use thiserror::Error;

/// Why the phone could not boot.
#[derive(Debug, Error)]
pub enum BootError {
    /// The files are missing or unreadable (a directory, or a TFTP server).
    #[error("{0}")]
    Files(#[from] SourceError),
    /// The configuration has errors (each printed already).
    #[error("the configuration has errors (see `sip7940 check`)")]
    Config,
    /// The socket could not be bound.
    #[error("cannot bind UDP {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Where the command line says the files are: `--config-dir DIR` (default), `--tftp
/// HOST[:PORT]`, or a bare `--tftp`, which takes `primary_tftp_addr` (port 69) from DIR's
/// files — the phone's flash — and, without `--mac`, DIR's MAC too.
pub fn provisioning(cli: &Cli) -> Result<Provisioning, SourceError> {
    let overrides = cli.set.clone();
    let (source, mac) = match cli.tftp.as_deref() {
        None => (ConfigSource::Dir(cli.config_dir.clone()), cli.mac),
        Some(host) if !host.is_empty() => {
            let server = crate::io::tftp::resolve_server(host)?;
            (ConfigSource::Tftp { server, options: Default::default() }, cli.mac)
        }
        Some(_) => {
            let flash = crate::io::config_dir::load_dir(&cli.config_dir, cli.mac, &overrides)?;
            let ip = flash
                .loaded
                .config
                .network
                .primary_tftp_addr
                .ok_or_else(|| SourceError::NoTftpAddress { dir: cli.config_dir.clone() })?;
            let server = SocketAddr::new(IpAddr::V4(ip), crate::io::tftp::TFTP_PORT);
            (ConfigSource::Tftp { server, options: Default::default() }, cli.mac.or(flash.chosen.mac))
        }
    };
    Ok(Provisioning { source, mac, overrides, model: cli.model })
}

/// Reads the files (on the blocking pool: TFTP waits on its socket).
async fn load_blocking(mut provisioning: Provisioning) -> Result<(Booted, Provisioning), SourceError> {
    let task = tokio::task::spawn_blocking(move || provisioning.load().map(|b| (b, provisioning)));
    task.await.unwrap_or_else(|e| Err(SourceError::Loader(e.to_string())))
}

/// Reads the files, binds `bind:voip_control_port` and returns the driver with its phone.
/// Must run inside a tokio runtime. Prints the configuration's errors (then fails), the
/// files fetched from a TFTP server, and the warnings about missing files.
pub async fn boot(cli: &Cli, bind: IpAddr, trace: TraceOptions) -> Result<Driver, BootError> {
    let (booted, provisioning) = load_blocking(provisioning(cli)?).await?;
    let errors: Vec<_> = booted.loaded.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("{e}");
        }
        return Err(BootError::Config);
    }
    report_files(&provisioning.source, &booted);
    let plan = match booted.parse_dial_plan() {
        None => DialPlan::default(),
        Some(Ok(plan)) => plan,
        Some(Err(e)) => {
            eprintln!("{}", e.finding());
            return Err(BootError::Config);
        }
    };
    let config = booted.loaded.config;
    let addr = SocketAddr::new(bind, config.nat.voip_control_port);
    let mut driver = start_phone(config, booted.mac, addr, trace).await?;
    driver.phone.set_dial_plan(plan);
    Ok(driver)
}

/// One line on stderr for files from a TFTP server, and one per missing file.
fn report_files(source: &ConfigSource, booted: &Booted) {
    if let ConfigSource::Tftp { .. } = source {
        let mut names = booted.files.clone();
        names.extend(booted.dial_plan.as_ref().map(|d| d.shown.clone()));
        let names: Vec<&str> =
            names.iter().map(|n| n.rsplit_once('/').map_or(n.as_str(), |(_, name)| name)).collect();
        eprintln!("sip7940: fetched {} from {}", names.join(", "), source.describe());
    }
    for finding in booted.loaded.findings.iter().filter(|f| f.code == "missing-file") {
        eprintln!("sip7940: {finding}");
    }
}

/// Binds `addr` and sets a phone with `config` up on it. Must run inside a tokio runtime.
pub async fn start_phone(
    config: crate::config::PhoneConfig,
    mac: Option<crate::config::Mac>,
    addr: SocketAddr,
    trace: TraceOptions,
) -> Result<Driver, BootError> {
    let socket =
        tokio::net::UdpSocket::bind(addr).await.map_err(|source| BootError::Bind { addr, source })?;
    let local = socket.local_addr().unwrap_or(addr);
    let phone = new_phone(config, mac, local);
    Driver::new(phone, socket, trace).map_err(|source| BootError::Bind { addr, source })
}

/// A phone with `config` for a socket bound at `local`: a fresh seed, the clock now.
pub fn new_phone(
    config: crate::config::PhoneConfig,
    mac: Option<crate::config::Mac>,
    local: SocketAddr,
) -> Phone {
    let my_ip = config.network.my_ip_addr.map(IpAddr::V4).filter(|ip| is_local_ip(*ip));
    if let (Some(configured), None) = (config.network.my_ip_addr, my_ip) {
        eprintln!(
            "sip7940: my_ip_addr {configured} is not an address of this host; \
             advertising the address the OS routes to the proxy from"
        );
    }
    let seed = {
        use rand::Rng;
        rand::rng().next_u64()
    };
    let unix_at_epoch = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let setup = Setup { local, seed, mac, my_ip, epoch: Instant::now(), unix_at_epoch };
    Phone::new(config, setup)
}

/// A current-thread tokio runtime for one command.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build()
}

/// Completes on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// Un-registers every line and runs the phone until the un-REGISTERs are answered, or
/// `within` has passed.
pub async fn unregister_and_wait(
    driver: &mut crate::io::driver::Driver,
    within: std::time::Duration,
    on_event: &mut dyn FnMut(&Phone, &crate::ua::Event),
) {
    driver.phone.unregister_all(Instant::now());
    let never = std::future::pending::<()>();
    tokio::pin!(never);
    let deadline = Instant::now() + within;
    let _ = driver.run_until(Some(deadline), &mut never, on_event, &mut |p| !p.registration_busy()).await;
}

/// Registers every line and runs the phone until each has an answer (registered, or failed),
/// `within` has passed, or `shutdown` completes. Calls go out after this: registering
/// resolves the route and lets the far end reach us.
pub async fn register_and_wait<S: std::future::Future<Output = ()>>(
    driver: &mut crate::io::driver::Driver,
    shutdown: &mut std::pin::Pin<&mut S>,
    within: std::time::Duration,
) {
    use crate::ua::registration::RegState;
    driver.phone.register_all(Instant::now());
    let answered = |p: &Phone| {
        !p.registration_busy()
            && p.registrations(Instant::now())
                .iter()
                .all(|s| !matches!(s.state, RegState::None | RegState::Registering))
    };
    let deadline = Some(Instant::now() + within);
    let _ = driver.run_until(deadline, shutdown, &mut |_, _| {}, &mut |p| answered(p)).await;
}

/// What a call sends: a WAV file (read once, at start) or a tone.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// 8 kHz mono samples from `--play`.
    Samples(Vec<i16>),
    /// A tone of this frequency from `--tone` (default 1000 Hz), at −10 dBm0.
    Tone(f64),
}

impl Outgoing {
    /// From `--tone` / `--play`.
    pub fn from_args(tone: Option<f64>, play: Option<&std::path::Path>) -> Result<Self, String> {
        match play {
            Some(path) => {
                crate::io::wav::read_wav_8k_mono(path).map(Outgoing::Samples).map_err(|e| e.to_string())
            }
            None => Ok(Outgoing::Tone(tone.unwrap_or(1000.0))),
        }
    }

    /// A fresh frame source for one call.
    pub fn source(&self) -> Result<Box<dyn crate::media::source::FrameSource + Send>, String> {
        use crate::media::source::{SamplesSource, ToneSource};
        match self {
            Outgoing::Samples(samples) => Ok(Box::new(SamplesSource::once(samples.clone()))),
            Outgoing::Tone(hz) => ToneSource::new(*hz, crate::media::tone::Level::Dbm0(-10.0))
                .map(|t| Box::new(t) as Box<_>)
                .map_err(|e| format!("--tone {hz}: {e}")),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Re-reading the files for the console's `reset`, SIGHUP and check-sync.

/// Why the files could not be read again: the phone keeps running as it was.
#[derive(Debug, Error)]
pub enum ReloadError {
    /// The files are missing or unreadable (a directory, or a TFTP server).
    #[error("{0}")]
    Files(#[from] SourceError),
    /// The configuration or the dial plan has errors (each one, as `check` prints it).
    #[error("the configuration has errors (see `sip7940 check`):\n{}", .0.join("\n"))]
    Config(Vec<String>),
}

/// A configuration read again from where `boot` read it.
#[derive(Debug, Clone)]
pub struct Reloaded {
    /// The configuration.
    pub config: crate::config::PhoneConfig,
    /// The MAC of the `SIP<MAC>.cnf` read.
    pub mac: Option<crate::config::Mac>,
    /// The dial plan (empty when there is none).
    pub dial_plan: DialPlan,
}

/// Reads, merges and checks the files again, as [`boot`] does (`--config-dir` or `--tftp`,
/// `--mac`, `--set`), the dial plan too; a configuration with errors is refused, with every
/// error. The reading runs on the blocking pool (from a TFTP server it waits on the
/// network: up to 5 s per file when the server is silent).
pub async fn reload_config(cli: &Cli) -> Result<Reloaded, ReloadError> {
    let (booted, _) = load_blocking(provisioning(cli)?).await?;
    let mut errors: Vec<String> = booted
        .loaded
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(ToString::to_string)
        .collect();
    let dial_plan = match booted.parse_dial_plan() {
        None => DialPlan::default(),
        Some(Ok(plan)) => plan,
        Some(Err(e)) => {
            errors.push(e.finding().to_string());
            DialPlan::default()
        }
    };
    if !errors.is_empty() {
        return Err(ReloadError::Config(errors));
    }
    Ok(Reloaded { config: booted.loaded.config, mac: booted.mac, dial_plan })
}
