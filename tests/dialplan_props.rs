//! Property tests of the dial plan: no bytes make the reader panic (a plan, or an error
//! located on a line the file has), the matcher agrees with a plain backtracking reading
//! of the pattern rules, and the collector takes any keys at any times.

use proptest::prelude::*;
use sip7940::config::dialplan::pattern::{Fit, Pattern};
use sip7940::config::dialplan::{Collect, DialPlan, DigitCollector};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Text that looks like a dial plan: tags, attributes, quotes, comments, line ends.
fn dialplan_like() -> impl Strategy<Value = Vec<u8>> {
    let token = prop_oneof![
        Just(b"<DIALTEMPLATE>".to_vec()),
        Just(b"</DIALTEMPLATE>".to_vec()),
        Just(b"<TEMPLATE ".to_vec()),
        Just(b"</TEMPLATE>".to_vec()),
        Just(b"/>".to_vec()),
        Just(b">".to_vec()),
        Just(b"<".to_vec()),
        Just(b"<!--".to_vec()),
        Just(b"-->".to_vec()),
        Just(b"<?xml version=\"1.0\"?>".to_vec()),
        proptest::sample::select(vec![
            "MATCH", "Line", "Timeout", "User", "Rewrite", "Route", "Tone", "match"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        Just(b"=".to_vec()),
        Just(b"\"".to_vec()),
        Just("“".as_bytes().to_vec()),
        Just(b"'".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b" ".to_vec()),
        "[0-9.*,#\\\\%s]{0,6}".prop_map(String::into_bytes),
        "[ -~]{0,8}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..3),
    ];
    proptest::collection::vec(token, 0..50).prop_map(|t| t.concat())
}

fn check_located(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lines = u32::try_from(bytes.split(|&b| b == b'\n').count()).unwrap_or(u32::MAX);
    match DialPlan::parse("dialplan.xml", bytes) {
        Ok(plan) => {
            for t in &plan.templates {
                prop_assert!((1..=lines).contains(&t.file_line));
            }
            // Whatever parsed can be applied to anything.
            let _ = plan.apply(1, "0123#");
        }
        Err(e) => {
            prop_assert!((1..=lines).contains(&e.line), "line {} of {}: {}", e.line, lines, e);
            prop_assert!(e.to_string().starts_with("dialplan.xml line "));
        }
    }
    Ok(())
}

/// The rules read literally, by backtracking: `.` one of 0-9*+, `*` one or more non-#,
/// `,` nothing, `\x` the literal x.
fn reference_full(pattern: &[char], input: &[char]) -> bool {
    match pattern.split_first() {
        None => input.is_empty(),
        Some((',', rest)) => reference_full(rest, input),
        Some(('\\', rest)) if !rest.is_empty() => {
            input.first() == rest.first() && reference_full(&rest[1..], &input[1..])
        }
        Some(('.', rest)) => {
            input.first().is_some_and(|c| c.is_ascii_digit() || *c == '*' || *c == '+')
                && reference_full(rest, &input[1..])
        }
        Some(('*', rest)) => {
            (1..=input.len()).take_while(|&k| input[k - 1] != '#').any(|k| reference_full(rest, &input[k..]))
        }
        Some((c, rest)) => input.first() == Some(c) && reference_full(rest, &input[1..]),
    }
}

/// Whether the pattern can take all of `input` and still have something left to match
/// (more typing could complete it), read the same literal way.
fn reference_partial(pattern: &[char], input: &[char]) -> bool {
    if input.is_empty() {
        return pattern.iter().any(|c| *c != ',');
    }
    match pattern.split_first() {
        None => false,
        Some((',', rest)) => reference_partial(rest, input),
        Some(('\\', rest)) if !rest.is_empty() => {
            input.first() == rest.first() && reference_partial(&rest[1..], &input[1..])
        }
        Some(('.', rest)) => {
            input.first().is_some_and(|c| c.is_ascii_digit() || *c == '*' || *c == '+')
                && reference_partial(rest, &input[1..])
        }
        Some(('*', rest)) => (1..=input.len())
            .take_while(|&k| input[k - 1] != '#')
            .any(|k| reference_partial(rest, &input[k..])),
        Some((c, rest)) => input.first() == Some(c) && reference_partial(rest, &input[1..]),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_bytes_give_a_plan_or_a_located_error(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        check_located(&bytes)?;
    }

    #[test]
    fn dialplan_like_text_gives_a_plan_or_a_located_error(bytes in dialplan_like()) {
        check_located(&bytes)?;
    }

    #[test]
    fn the_matcher_agrees_with_the_rules(pattern in "[12#*.,\\\\]{0,6}", input in "[12#*]{0,6}") {
        let p = Pattern::parse(&pattern).expect("pattern chars");
        let input: Vec<char> = input.chars().collect();
        let pchars: Vec<char> = pattern.chars().collect();
        let full = reference_full(&pchars, &input);
        match p.fit(&input) {
            Fit::Full { .. } => prop_assert!(full, "{pattern:?} should not fully match {input:?}"),
            Fit::Partial { .. } => {
                prop_assert!(!full);
                prop_assert!(reference_partial(&pchars, &input), "{pattern:?} cannot continue {input:?}");
            }
            Fit::None => {
                prop_assert!(!full, "{pattern:?} should fully match {input:?}");
                prop_assert!(!reference_partial(&pchars, &input), "{pattern:?} can continue {input:?}");
            }
        }
    }

    #[test]
    fn the_collector_takes_any_keys(
        keys in proptest::collection::vec((any::<char>(), 0u64..15_000), 0..40),
        plan in proptest::sample::select(vec![
            "<DIALTEMPLATE/>",
            r#"<DIALTEMPLATE><TEMPLATE MATCH="911" Timeout="0"/><TEMPLATE MATCH="31." Rewrite="1%s.."/><TEMPLATE MATCH="*" Timeout="5"/></DIALTEMPLATE>"#,
            r#"<DIALTEMPLATE><TEMPLATE MATCH="9,.,.*" Tone="Cisco-Zip"/><TEMPLATE MATCH="\*21#" Timeout="0"/></DIALTEMPLATE>"#,
        ]),
    ) {
        let plan = Arc::new(DialPlan::parse("dialplan.xml", plan.as_bytes()).expect("plan"));
        let start = Instant::now();
        let mut now = start;
        let mut c = DigitCollector::new(plan, 1, now);
        let mut dials = 0;
        for (key, gap) in keys {
            now += Duration::from_millis(gap);
            let before = c.deadline();
            let result = match before {
                Some(at) if at <= now => c.poll(now),
                _ => c.press(now, key),
            };
            match result {
                Collect::Dial(_) => dials += 1,
                Collect::Waiting { deadline: Some(at), .. } => prop_assert!(at >= now),
                _ => {}
            }
        }
        prop_assert!(dials <= 1, "a collector dials once");
    }
}
