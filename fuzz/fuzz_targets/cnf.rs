//! Any bytes as a SIPDefault.cnf: the loader gives values or located findings, never a
//! panic, and what it read prints back to CNF that reads to the same config.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip7940::config::{CnfSource, load};

fuzz_target!(|data: &[u8]| {
    let source = |bytes: Vec<u8>| CnfSource { path: "SIPDefault.cnf".into(), bytes };
    let loaded = load(&[source(data.to_vec())], &[]);
    let again = load(&[source(loaded.config.to_cnf().into_bytes())], &[]);
    assert_eq!(again.config, loaded.config);
});
