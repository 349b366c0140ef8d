//! Property tests of the config layer: no input makes it panic, and printing a config as
//! CNF and reading it back gives the same config.

use proptest::prelude::*;
use sip7940::config::{CnfSource, PhoneConfig, Severity, load};

fn source(bytes: Vec<u8>) -> CnfSource {
    CnfSource { path: "SIPDefault.cnf".into(), bytes }
}

/// Text that looks like CNF: keys, separators, quotes of every kind, comments, line ends.
fn cnf_like() -> impl Strategy<Value = Vec<u8>> {
    let keys: Vec<String> = PhoneConfig::keys();
    let token = prop_oneof![
        proptest::sample::select(keys).prop_map(String::into_bytes),
        Just(b" : ".to_vec()),
        Just(b":".to_vec()),
        Just(b"\"".to_vec()),
        Just("“".as_bytes().to_vec()),
        Just("”".as_bytes().to_vec()),
        Just(b";".to_vec()),
        Just(b"#".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"UNPROVISIONED".to_vec()),
        "[ -~]{0,12}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..4),
    ];
    proptest::collection::vec(token, 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_give_values_or_located_findings(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let lines = bytes.split(|&b| b == b'\n').count() as u32;
        let loaded = load(&[source(bytes)], &[]);
        for f in &loaded.findings {
            if let sip7940::config::Origin::File { line, .. } = f.origin {
                prop_assert!(line >= 1 && line <= lines, "{f}");
            }
        }
    }

    #[test]
    fn cnf_like_text_never_panics(bytes in cnf_like()) {
        let loaded = load(&[source(bytes)], &[]);
        // Whatever it read prints back to CNF that reads to the same config.
        let again = load(&[source(loaded.config.to_cnf().into_bytes())], &[]);
        prop_assert_eq!(again.config, loaded.config);
    }

    #[test]
    fn print_then_read_gives_the_same_config(settings in settings()) {
        let overrides: Vec<(String, String)> = settings;
        let config = load(&[], &overrides).config;
        let text = config.to_cnf();
        let again = load(&[source(text.clone().into_bytes())], &[]);
        let errors: Vec<String> = again
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error && f.code != "no-proxy" && f.code != "media-range" && f.code != "timers")
            .map(|f| f.to_string())
            .collect();
        prop_assert!(errors.is_empty(), "{:?}\n{}", errors, text);
        prop_assert_eq!(again.config, config);
    }
}

/// Random `key=value` pairs over every known key, with values that are often valid.
fn settings() -> impl Strategy<Value = Vec<(String, String)>> {
    let keys: Vec<String> = PhoneConfig::keys();
    let value = prop_oneof![
        Just(String::new()),
        Just("0".to_owned()),
        Just("1".to_owned()),
        Just("UNPROVISIONED".to_owned()),
        "[0-9]{1,5}",
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}",
        "(10|127|192)\\.[0-9]{1,2}\\.[0-9]{1,2}\\.[0-9]{1,2}",
        proptest::sample::select(vec!["g711alaw", "avt_always", "phone", "unicast", "EST", "3"])
            .prop_map(str::to_owned),
        "[ -~&&[^\"]]{0,20}",
        " [a-z ;#]{0,10} ",
    ];
    proptest::collection::vec((proptest::sample::select(keys), value), 0..40)
}
