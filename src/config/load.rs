//! Merging `SIPDefault.cnf`, `SIP<MAC>.cnf` and `--set` into a typed [`PhoneConfig`].
//!
//! Order, as on the phone: firmware defaults, then `SIPDefault.cnf`, then `SIP<MAC>.cnf`
//! key by key, then `--set` overrides. A value that is wrong for its key is an error finding
//! (file, line, key, value, what is allowed) and the key keeps its default, so one typo does
//! not hide every other finding.

use super::cnf::read_cnf;
use super::finding::{Finding, Origin, Severity};
use super::lint;
use super::phone::{PhoneConfig, Visitor};
use super::value::{Field, ValueError};
use std::collections::HashMap;
use std::sync::Arc;

/// A CNF file's bytes and the name to show for it.
#[derive(Debug, Clone)]
pub struct CnfSource {
    /// Shown in findings, e.g. `profiles/sipgate-uk/SIPDefault.cnf`.
    pub path: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// One effective setting, for `check` and `--json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key.
    pub key: String,
    /// The value as CNF text; `****` for passwords.
    pub shown: String,
    /// Where it came from.
    pub origin: Origin,
    /// Whether sip7940 knows the key.
    pub known: bool,
}

/// The result of loading: the typed config, every setting with its origin, the findings.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The typed configuration (defaults where a value was wrong).
    pub config: PhoneConfig,
    /// Every known key in schema order, then the unknown keys in file order.
    pub settings: Vec<Setting>,
    /// Reader, value and lint findings, in that order.
    pub findings: Vec<Finding>,
}

impl Loaded {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// A value as written, with its origin (the input to the typed layer).
#[derive(Debug, Clone)]
pub(crate) struct Raw {
    pub value: String,
    pub origin: Origin,
    order: usize,
}

/// Reads, merges, types and lints. `overrides` are `--set` pairs, applied last.
pub fn load(sources: &[CnfSource], overrides: &[(String, String)]) -> Loaded {
    let mut findings = Vec::new();
    let mut raw: HashMap<String, Raw> = HashMap::new();
    let mut order = 0;
    let mut put = |key: &str, value: &str, origin: Origin| {
        order += 1;
        raw.insert(key.to_owned(), Raw { value: value.to_owned(), origin, order });
    };
    for source in sources {
        let path: Arc<str> = Arc::from(source.path.as_str());
        let file = read_cnf(&source.bytes);
        for issue in &file.issues {
            findings.push(Finding {
                severity: if issue.kind.is_error() { Severity::Error } else { Severity::Warning },
                code: "syntax",
                origin: Origin::File { path: path.clone(), line: issue.line },
                key: issue.key.clone(),
                problem: issue.kind.to_string(),
                advice: issue.kind.advice().to_owned(),
            });
        }
        for entry in &file.entries {
            put(&entry.key, &entry.value, Origin::File { path: path.clone(), line: entry.line });
        }
    }
    for (key, value) in overrides {
        put(key, value, Origin::CommandLine);
    }

    let mut apply = Apply { raw: &raw, origins: HashMap::new(), findings: Vec::new() };
    let mut config = PhoneConfig::default();
    config.visit(&mut apply);
    let Apply { origins, findings: value_findings, .. } = apply;
    findings.extend(value_findings);

    let mut unknown: Vec<(&String, &Raw)> = raw.iter().filter(|(k, _)| !origins.contains_key(*k)).collect();
    unknown.sort_by_key(|(_, r)| r.order);
    let known_keys = PhoneConfig::keys();
    for (key, r) in &unknown {
        findings.push(unknown_key_finding(key, r, &known_keys));
        config.unknown.push(((*key).clone(), r.value.clone()));
    }

    let mut settings = collect_settings(&mut config, &origins);
    settings.extend(unknown.iter().map(|(key, r)| Setting {
        key: (*key).clone(),
        shown: r.value.clone(),
        origin: r.origin.clone(),
        known: false,
    }));

    let effective = lint::Effective::new(&raw, &origins);
    findings.extend(lint::lint(&config, &effective));
    sort_by_place(&mut findings, sources);
    Loaded { config, settings, findings }
}

/// Orders findings as a person reads the files: file by file, line by line; findings
/// about `--set` and defaults come last. The sort is stable, so rules keep their order.
fn sort_by_place(findings: &mut [Finding], sources: &[CnfSource]) {
    findings.sort_by_key(|f| match &f.origin {
        Origin::File { path, line } => (sources.iter().position(|s| *s.path == **path).unwrap_or(0), *line),
        Origin::CommandLine => (sources.len(), 0),
        Origin::Default => (sources.len() + 1, 0),
    });
}

struct Apply<'a> {
    raw: &'a HashMap<String, Raw>,
    origins: HashMap<String, Origin>,
    findings: Vec<Finding>,
}

impl Visitor for Apply<'_> {
    fn field(&mut self, key: &str, field: &mut dyn Field) {
        let Some(raw) = self.raw.get(key) else { return };
        match field.set_cnf(&raw.value) {
            Ok(()) => {
                self.origins.insert(key.to_owned(), raw.origin.clone());
            }
            Err(err) => {
                // Mark the key as known; it keeps its default.
                self.origins.insert(key.to_owned(), Origin::Default);
                self.findings.push(value_finding(key, &raw.value, &raw.origin, &err, field));
            }
        }
    }
}

fn value_finding(key: &str, value: &str, origin: &Origin, err: &ValueError, field: &dyn Field) -> Finding {
    let shown = if field.is_secret() { "****".to_owned() } else { format!("{value:?}") };
    let advice = match err {
        ValueError::Host(super::host::HostError::Placeholder) => {
            format!("put the real address there ({})", field.allowed())
        }
        _ => format!("use {}; the default {} applies meanwhile", field.allowed(), shown_default(field)),
    };
    Finding {
        severity: Severity::Error,
        code: "value",
        origin: origin.clone(),
        key: Some(key.to_owned()),
        problem: format!("{shown} {err}"),
        advice,
    }
}

fn shown_default(field: &dyn Field) -> String {
    let text = field.cnf();
    if field.is_secret() {
        "****".into()
    } else if text.is_empty() {
        "\"\"".into()
    } else {
        text
    }
}

fn unknown_key_finding(key: &str, raw: &Raw, known: &[String]) -> Finding {
    let advice = match suggest(key, known) {
        Some(k) => format!("did you mean {k}? Unknown keys are kept but have no effect"),
        None => "check the spelling; unknown keys are kept but have no effect".to_owned(),
    };
    Finding {
        severity: Severity::Warning,
        code: "unknown-key",
        origin: raw.origin.clone(),
        key: Some(key.to_owned()),
        problem: "is not a key sip7940 knows".into(),
        advice,
    }
}

/// The known key closest to a misspelt one (same letters in another case, or two edits).
fn suggest<'k>(key: &str, known: &'k [String]) -> Option<&'k str> {
    let lower = key.to_ascii_lowercase();
    known
        .iter()
        .filter(|k| k.len().abs_diff(lower.len()) <= 2)
        .map(|k| (edit_distance(&lower, k), k))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Levenshtein distance; stops early (returning more than 2) once every path is over 2.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
        if row.iter().all(|&d| d > 2) {
            return 3;
        }
    }
    row[b.len()]
}

fn collect_settings(config: &mut PhoneConfig, origins: &HashMap<String, Origin>) -> Vec<Setting> {
    struct Collect<'a> {
        origins: &'a HashMap<String, Origin>,
        out: Vec<Setting>,
    }
    impl Visitor for Collect<'_> {
        fn field(&mut self, key: &str, field: &mut dyn Field) {
            let shown =
                if field.is_secret() && !field.cnf().is_empty() { "****".into() } else { field.cnf() };
            let origin = self.origins.get(key).cloned().unwrap_or(Origin::Default);
            self.out.push(Setting { key: key.to_owned(), shown, origin, known: true });
        }
    }
    let mut collect = Collect { origins, out: Vec::new() };
    config.visit(&mut collect);
    collect.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(path: &str, text: &str) -> CnfSource {
        CnfSource { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    #[test]
    fn mac_file_overrides_default_key_by_key_and_set_wins() {
        let loaded = load(
            &[
                src("SIPDefault.cnf", "proxy1_address : a.example\nproxy1_port : 5061\n"),
                src("SIP000C30A97025.cnf", "proxy1_port : 5062\nline1_name : 100\n"),
            ],
            &[("line1_name".into(), "200".into())],
        );
        let c = &loaded.config;
        assert_eq!(c.proxies[0].address.as_ref().map(|h| h.to_string()).as_deref(), Some("a.example"));
        assert_eq!(c.proxies[0].port, 5062);
        assert_eq!(c.lines[0].name, "200");
        let origin = |k: &str| loaded.settings.iter().find(|s| s.key == k).map(|s| s.origin.to_string());
        assert_eq!(origin("proxy1_address").as_deref(), Some("SIPDefault.cnf:1"));
        assert_eq!(origin("proxy1_port").as_deref(), Some("SIP000C30A97025.cnf:1"));
        assert_eq!(origin("line1_name").as_deref(), Some("--set"));
        assert_eq!(origin("proxy2_port").as_deref(), Some("default"));
    }

    #[test]
    fn wrong_values_name_file_line_key_value_and_what_is_allowed() {
        let loaded = load(&[src("SIPDefault.cnf", "\nproxy1_port : 70000\n")], &[]);
        let f = loaded.findings.iter().find(|f| f.code == "value").expect("a value finding");
        assert_eq!(
            f.to_string(),
            "error SIPDefault.cnf:2 proxy1_port: \"70000\" is outside 1..65535 — use a whole number from 1 to 65535; the default 5060 applies meanwhile"
        );
        assert_eq!(loaded.config.proxies[0].port, 5060);
        assert!(loaded.has_errors());
    }

    #[test]
    fn passwords_never_appear() {
        let loaded = load(
            &[src("a.cnf", "line1_name : 1\nline1_password : hunter2\nphone_password : \"a\tb\"\n")],
            &[],
        );
        let all = format!("{:?}{:?}", loaded.settings, loaded.findings);
        assert!(!all.contains("hunter2"), "{all}");
        assert!(loaded.settings.iter().any(|s| s.key == "line1_password" && s.shown == "****"));
        assert!(
            loaded
                .findings
                .iter()
                .any(|f| f.key.as_deref() == Some("phone_password") && f.problem.starts_with("****"))
        );
    }

    #[test]
    fn unknown_keys_are_kept_with_a_suggestion() {
        let loaded = load(&[src("a.cnf", "nat_enabled : 1\nStatus Flags : 12300001\n")], &[]);
        assert_eq!(
            loaded.config.unknown,
            vec![("nat_enabled".into(), "1".into()), ("Status Flags".into(), "12300001".into())]
        );
        let advice: Vec<&str> =
            loaded.findings.iter().filter(|f| f.code == "unknown-key").map(|f| f.advice.as_str()).collect();
        assert!(advice[0].starts_with("did you mean nat_enable?"), "{advice:?}");
        assert!(advice[1].starts_with("check the spelling"));
        assert!(loaded.settings.iter().any(|s| s.key == "Status Flags" && !s.known));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("nat_enabled", "nat_enable"), 1);
        assert_eq!(edit_distance("abc", "abc"), 0);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}
