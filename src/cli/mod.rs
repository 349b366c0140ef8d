//! The command line: turns arguments into work and results into what a person (or a
//! monitoring tool) reads. Nothing here is protocol logic.

mod boot;
mod call;
mod check;
pub mod console;
mod demo;
mod devices;
pub mod diagnose;
mod handset;
mod loopback;
mod output;
mod phone;
mod register;
pub mod screen;
mod softphone;
mod sound_test;
mod tones;

use crate::config::Mac;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// A software Cisco 7940 SIP phone that boots from the phone's own config files.
// Doc comments here are also the --help text, where SIP<MAC> must read as written.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Parser)]
#[command(name = "sip7940", version, about, propagate_version = true)]
pub struct Cli {
    /// The phone's TFTP root: holds SIPDefault.cnf and SIP<MAC>.cnf (names in any case).
    /// With a bare --tftp, the phone's flash: its files name the TFTP server.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub config_dir: PathBuf,

    /// Which SIP<MAC>.cnf to read (000C30A97025, 00:0c:30:a9:70:25, 00-0C-30-A9-70-25);
    /// needed only when DIR holds several.
    #[arg(long, global = true, value_name = "MAC")]
    pub mac: Option<Mac>,

    /// Fetch SIPDefault.cnf, SIP<MAC>.cnf (needs --mac) and the dial plan from this TFTP
    /// server instead of DIR, as the phone boots. Without HOST: the primary_tftp_addr
    /// that DIR's files (the phone's flash) name.
    #[arg(long, global = true, value_name = "HOST[:PORT]", num_args = 0..=1, default_missing_value = "")]
    pub tftp: Option<String>,

    /// The phone model: 7940 (lines 1 and 2) or 7960 (lines 1 to 6); lines past the
    /// model's keys are not used.
    #[arg(long, global = true, value_name = "MODEL", default_value = "7940")]
    pub model: crate::config::Model,

    /// Override any CNF key, after both files (repeatable): --set nat_enable=1
    #[arg(long = "set", global = true, value_name = "KEY=VALUE", value_parser = parse_set)]
    pub set: Vec<(String, String)>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read, merge, validate and lint the config files; print the effective configuration
    /// and the findings. Exit 0 without errors, 1 with errors, 2 when the files cannot be read.
    Check(check::CheckArgs),
    /// Run the phone: answer SIP on voip_control_port, with the 7940's console on stdin and
    /// (telnet_level 1 or 2) on TCP --console-port, until SIGINT/SIGTERM; SIGHUP re-reads the files.
    Phone(phone::PhoneArgs),
    /// Register every line, report the `sh reg` table with reasons in words, and exit like
    /// a monitoring plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    Register(register::RegisterArgs),
    /// Place a call: register the line, dial, send a tone or WAV file, record what comes
    /// back, hang up after --duration, report the media figures. Exit 0 when answered and
    /// ended normally.
    Call(call::CallArgs),
    /// Loopback call test: line 1 calls line 2 (or --to NUMBER) through the registrar, both
    /// legs send different tones and detect each other's; exit 0 when audio flowed both
    /// ways within bounds. --calls N runs N calls at once.
    Loopback(loopback::LoopbackArgs),
    /// Zero configuration: a built-in demo registrar on 127.0.0.1 and a phone with two
    /// lines that call each other; prints the `sh reg` table and the quality report.
    Demo(demo::DemoArgs),
    /// List the audio devices (microphones, loudspeakers) with their default rate, channels
    /// and sample format, the defaults marked. Without a sound card, one line saying so.
    /// Exit 0 (also without a sound card), 2 when the sound system fails otherwise.
    /// --test plays a test tone and listens instead.
    Devices(devices::DevicesArgs),
    /// The phone's call-progress tones: list them, write them as WAV files, or play one.
    Tones(tones::TonesArgs),
}

/// `KEY=VALUE`, with the value optionally in double quotes.
fn parse_set(arg: &str) -> Result<(String, String), String> {
    let (key, value) = arg.split_once('=').ok_or_else(|| format!("{arg:?} is not KEY=VALUE"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("{arg:?} has no key before '='"));
    }
    let value = value.trim();
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    Ok((key.to_owned(), value.to_owned()))
}

impl Cli {
    /// Parses the arguments. `--set` counts wherever it is given, before and after the
    /// subcommand (clap keeps only the subcommand's occurrences of a global argument).
    pub fn parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = bare_tftp_before_subcommand(args.into_iter().map(Into::into).collect());
        let mut cli = Cli::try_parse_from(&args)?;
        let mut sets = Vec::new();
        let mut words = args.iter().skip(1).map(|a| a.to_string_lossy());
        while let Some(word) = words.next() {
            if word == "--" {
                break;
            }
            let value = match word.strip_prefix("--set=") {
                Some(v) => Some(v.to_owned()),
                None if word == "--set" => words.next().map(|v| v.into_owned()),
                None => None,
            };
            // Clap has checked every value already.
            if let Some(pair) = value.and_then(|v| parse_set(&v).ok()) {
                sets.push(pair);
            }
        }
        cli.set = sets;
        Ok(cli)
    }
}

/// `--tftp` takes an optional value, so in `sip7940 --tftp check` clap would read `check`
/// as the host: a bare `--tftp` right before a subcommand's name becomes `--tftp=` (no
/// host). A host with a subcommand's name can still be given as `--tftp=check`.
fn bare_tftp_before_subcommand(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    use clap::CommandFactory;
    let command = Cli::command();
    let is_subcommand = |word: &std::ffi::OsString| {
        let word = word.to_string_lossy();
        word == "help"
            || command
                .get_subcommands()
                .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word))
    };
    let end = args.iter().position(|a| a == "--").unwrap_or(args.len());
    for i in 1..end {
        if args.get(i + 1).is_some_and(is_subcommand)
            && let Some(arg) = args.get_mut(i).filter(|a| *a == "--tftp")
        {
            *arg = "--tftp=".into();
        }
    }
    args
}

/// Runs the command line; the process exits with the returned code.
pub fn run() -> ExitCode {
    let cli = match Cli::parse_args(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match &cli.command {
        Command::Check(args) => check::run(&cli, args),
        Command::Phone(args) => phone::run(&cli, args),
        Command::Register(args) => register::run(&cli, args),
        Command::Call(args) => call::run(&cli, args),
        Command::Loopback(args) => loopback::run(&cli, args),
        Command::Demo(args) => demo::run(&cli, args),
        Command::Devices(args) => devices::run(&cli, args),
        Command::Tones(args) => tones::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_pairs() {
        assert_eq!(parse_set("nat_enable=1"), Ok(("nat_enable".into(), "1".into())));
        assert_eq!(parse_set("nat_address=\"\""), Ok(("nat_address".into(), "".into())));
        assert_eq!(parse_set("phone_label = a=b"), Ok(("phone_label".into(), "a=b".into())));
        assert!(parse_set("novalue").is_err());
        assert!(parse_set("=1").is_err());
    }

    #[test]
    fn tftp_with_and_without_a_host() {
        let parse = |args: &[&str]| Cli::parse_args(args.iter().copied()).map(|c| c.tftp);
        assert_eq!(parse(&["sip7940", "check"]).unwrap(), None);
        assert_eq!(
            parse(&["sip7940", "--tftp", "127.0.0.1:6969", "check"]).unwrap().as_deref(),
            Some("127.0.0.1:6969")
        );
        assert_eq!(parse(&["sip7940", "--tftp", "check"]).unwrap().as_deref(), Some(""));
        assert_eq!(parse(&["sip7940", "check", "--tftp"]).unwrap().as_deref(), Some(""));
        assert_eq!(
            parse(&["sip7940", "--tftp", "--mac", "000C30A97025", "check"]).unwrap().as_deref(),
            Some("")
        );
        assert_eq!(parse(&["sip7940", "--tftp=check", "check"]).unwrap().as_deref(), Some("check"));
        assert_eq!(
            parse(&["sip7940", "phone", "--tftp=tftp.example:69"]).unwrap().as_deref(),
            Some("tftp.example:69")
        );
    }

    #[test]
    fn clap_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn set_before_and_after_the_subcommand_both_count() {
        let cli =
            Cli::parse_args(["sip7940", "--set", "a=1", "check", "--set=b=2", "--set", "c=\"x y\""]).unwrap();
        let pairs = [("a", "1"), ("b", "2"), ("c", "x y")].map(|(k, v)| (k.to_owned(), v.to_owned()));
        assert_eq!(cli.set, pairs.to_vec());
        assert!(Cli::parse_args(["sip7940", "check", "--set", "novalue"]).is_err());
    }
}
