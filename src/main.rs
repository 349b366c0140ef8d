//! `sip7940`: see the crate documentation and README.md.

fn main() -> std::process::ExitCode {
    sip7940::cli::run()
}
