//! Dial plans as a whole: parsing, errors, the best-match rules, the reference's example
//! plan, `apply` and the collector on a simulated clock.

use super::select::{Verdict, evaluate};
use super::*;
use crate::config::Host;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The reference's example plan.
const REFERENCE: &str = r#"<DIALTEMPLATE>
  <TEMPLATE MATCH="911" Timeout="0" User="Phone" Route="Emergency"/>
  <TEMPLATE MATCH="31." Timeout="0" User="Phone" Rewrite="11111111%s"/>
  <TEMPLATE MATCH="*" Timeout="5"/>
</DIALTEMPLATE>
"#;

fn plan(text: &str) -> DialPlan {
    DialPlan::parse("dialplan.xml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"))
}

fn templates(body: &str) -> DialPlan {
    plan(&format!("<DIALTEMPLATE>\n{body}\n</DIALTEMPLATE>\n"))
}

fn error(text: &str) -> String {
    DialPlan::parse("dialplan.xml", text.as_bytes()).expect_err("should fail").to_string()
}

fn chars(s: &str) -> Vec<char> {
    s.chars().collect()
}

fn verdict(plan: &DialPlan, input: &str) -> Verdict {
    evaluate(plan, 1, &chars(input))
}

#[test]
fn the_reference_example_parses() {
    let p = plan(REFERENCE);
    assert_eq!(p.templates.len(), 3);
    let t = &p.templates[0];
    assert_eq!((t.index, t.file_line, t.match_text.as_str()), (1, 2, "911"));
    assert_eq!((t.timeout, t.user, &t.route), (Duration::ZERO, Some(UserMode::Phone), &Route::Emergency));
    assert_eq!(p.templates[1].rewrite_text, "11111111%s");
    assert_eq!(p.templates[2].timeout, Duration::from_secs(5));
    assert_eq!(p.templates[2].user, None);
}

#[test]
fn the_reference_example_decides() {
    let p = plan(REFERENCE);
    let matched = |t, secs| Verdict::Matched { template: t, timeout: Duration::from_secs(secs) };
    let waiting = Verdict::Incomplete { tone: None };
    for (input, want) in [
        ("9", waiting.clone()),     // 911 still possible and has more literals than *
        ("91", waiting.clone()),    //
        ("911", matched(1, 0)),     // exact, Timeout 0: dial at once
        ("3", waiting.clone()),     // 31. is partial with one literal
        ("31", waiting.clone()),    //
        ("312", matched(2, 0)),     // 31. full: dial at once
        ("5", matched(3, 5)),       // only * fits
        ("9115", matched(3, 5)),    // 911 no longer fits
        ("3125", matched(3, 5)),    //
        ("0800123", matched(3, 5)), //
    ] {
        assert_eq!(verdict(&p, input), want, "{input}");
    }
    assert_eq!(verdict(&p, "12#"), Verdict::NoMatch);
    let apply = |n| p.apply(1, n);
    assert_eq!(
        apply("911").dial,
        Dial { number: "911".into(), user: Some(UserMode::Phone), route: Route::Emergency }
    );
    assert_eq!(apply("31").dial.number, "31", "31 is typed then timeout: * fits, no rewrite");
    assert_eq!(apply("31").template, Some(3));
    assert_eq!(apply("312").dial.number, "11111111312");
    assert_eq!(apply("312").dial.user, Some(UserMode::Phone));
    assert_eq!(apply("5551234").dial, Dial::plain("5551234"));
    assert_eq!(apply("5551234").template, Some(3));
    assert_eq!(apply("312").to_string(), "312 -> 11111111312;user=phone (template 2)");
    assert_eq!(apply("911").to_string(), "911 -> 911;user=phone via proxy_emergency (template 1)");
}

#[test]
fn more_literal_digits_win() {
    let p = templates(
        r#"<TEMPLATE MATCH="9......." Timeout="3"/>
           <TEMPLATE MATCH="94......" Timeout="2"/>
           <TEMPLATE MATCH="*" Timeout="7"/>"#,
    );
    assert_eq!(verdict(&p, "94694210"), Verdict::Matched { template: 2, timeout: Duration::from_secs(2) });
    assert_eq!(verdict(&p, "93694210"), Verdict::Matched { template: 1, timeout: Duration::from_secs(3) });
    assert_eq!(verdict(&p, "83694210"), Verdict::Matched { template: 3, timeout: Duration::from_secs(7) });
}

#[test]
fn at_equal_length_exact_beats_dot_beats_star() {
    let p = templates(
        r#"<TEMPLATE MATCH="1*" Timeout="3" Rewrite="star"/>
           <TEMPLATE MATCH="1." Timeout="2" Rewrite="dot"/>
           <TEMPLATE MATCH="12" Timeout="1" Rewrite="exact"/>"#,
    );
    assert_eq!(p.apply(1, "12").dial.number, "exact");
    assert_eq!(p.apply(1, "13").dial.number, "dot");
    assert_eq!(p.apply(1, "134").dial.number, "star");
    // Same kind and length: the first in the file.
    let p = templates(r#"<TEMPLATE MATCH="1." Rewrite="first"/><TEMPLATE MATCH=".2" Rewrite="second"/>"#);
    assert_eq!(p.apply(1, "12").dial.number, "first");
}

#[test]
fn a_complete_rule_needs_more_literals_than_an_incomplete_one() {
    // The firmware's own example: with 9011* and 9.11, 9011 waits for 9011*.
    let p = templates(r#"<TEMPLATE MATCH="9011*" Timeout="4"/><TEMPLATE MATCH="9.11" Timeout="0"/>"#);
    assert_eq!(verdict(&p, "9011"), Verdict::Incomplete { tone: None });
    assert_eq!(verdict(&p, "9311"), Verdict::Matched { template: 2, timeout: Duration::ZERO });
    assert_eq!(verdict(&p, "90114"), Verdict::Matched { template: 1, timeout: Duration::from_secs(4) });
    // And a * rule does not beat a longer one still being typed.
    let p = templates(r#"<TEMPLATE MATCH="*" Timeout="5"/><TEMPLATE MATCH="9......." Timeout="0"/>"#);
    assert_eq!(verdict(&p, "9469421"), Verdict::Incomplete { tone: None });
    assert_eq!(verdict(&p, "94694210"), Verdict::Matched { template: 2, timeout: Duration::ZERO });
}

#[test]
fn line_selects_templates() {
    let p = templates(
        r#"<TEMPLATE MATCH="1" Line="2" Rewrite="line-two" Timeout="0"/>
           <TEMPLATE MATCH="1" Line="0" Rewrite="any-line"/>
           <TEMPLATE MATCH="2" Rewrite="no-line"/>"#,
    );
    assert_eq!(p.apply(2, "1").dial.number, "line-two");
    assert_eq!(p.apply(1, "1").dial.number, "any-line");
    assert_eq!(p.apply(6, "2").dial.number, "no-line");
    assert_eq!(p.templates[0].line, 2);
}

#[test]
fn routes_and_users() {
    let p = templates(
        r#"<TEMPLATE MATCH="1" route="emergency" user="ip"/>
           <TEMPLATE MATCH="2" ROUTE="pbx.example.org:5070"/>
           <TEMPLATE MATCH="3" Route="192.0.2.7"/>
           <TEMPLATE MATCH="4*" Route="FQDN" Rewrite="%1@pbx%.example%.org"/>
           <TEMPLATE MATCH="5" Route="Default" User="PHONE"/>"#,
    );
    assert_eq!(p.apply(1, "1").dial.route, Route::Emergency);
    assert_eq!(p.apply(1, "1").dial.user, Some(UserMode::Ip));
    assert_eq!(
        p.apply(1, "2").dial.route,
        Route::Host { host: Host::Name("pbx.example.org".into()), port: Some(5070) }
    );
    assert_eq!(
        p.apply(1, "3").dial.route,
        Route::Host { host: Host::Ip("192.0.2.7".parse().unwrap()), port: None }
    );
    assert_eq!(
        p.apply(1, "4123").dial,
        Dial { number: "123@pbx.example.org".into(), user: None, route: Route::Fqdn }
    );
    assert_eq!(p.apply(1, "5").dial.user, Some(UserMode::Phone));
    assert_eq!(p.apply(1, "5").dial.route, Route::Default);
}

#[test]
fn apply_takes_a_final_hash_and_leaves_uris_alone() {
    let p = plan(REFERENCE);
    assert_eq!(p.apply(1, "312#").dial.number, "11111111312");
    assert_eq!(p.apply(1, "sip:alice@example.org").dial, Dial::plain("sip:alice@example.org"));
    assert_eq!(p.apply(1, "bob@example.org").template, None);
    let empty = DialPlan::default();
    assert_eq!(empty.apply(1, "0123").dial, Dial::plain("0123"));
    assert_eq!(empty.apply(1, "0123").to_string(), "0123 (no template matched)");
}

#[test]
fn an_empty_template_is_valid_and_matches_nothing() {
    for text in ["<DIALTEMPLATE></DIALTEMPLATE>", "<DIALTEMPLATE/>", "<dialtemplate>\n</dialtemplate>"] {
        let p = plan(text);
        assert!(p.templates.is_empty(), "{text}");
        assert_eq!(verdict(&p, "123"), Verdict::NoMatch);
        assert_eq!(p.apply(1, "123").dial, Dial::plain("123"));
    }
}

#[test]
fn real_files_vary() {
    let text = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!-- UK plan -->\r\n<DialTemplate>\r\n\
        <versionStamp>{abc-123}</versionStamp>\r\n\
        <template match='999' timeout='0'></template> <!-- emergency -->\r\n\
        <TEMPLATE MATCH=“0,..........” Timeout=“0” Tone=“Bellcore-Outside”/>\r\n\
        <TEMPLATE\r\n   MATCH=\"00*\"\r\n   Timeout=5 />\r\n\
        </DialTemplate>\r\n";
    let p = plan(text);
    assert_eq!(p.templates.len(), 3);
    assert_eq!(p.templates[0].file_line, 5);
    assert_eq!(p.templates[1].tones, vec!["Bellcore-Outside"]);
    assert_eq!((p.templates[2].file_line, p.templates[2].timeout), (7, Duration::from_secs(5)));
    assert_eq!(p.apply(1, "01234567890").template, Some(2));
}

#[test]
fn tones_name_the_secondary_dial_tone() {
    let p = templates(r#"<TEMPLATE MATCH="9,0,...." Tone="cisco-zip" Tone=""/><TEMPLATE MATCH="8,..."/>"#);
    assert_eq!(p.templates[0].tones, vec!["Cisco-Zip", "Bellcore-Outside"]);
    assert_eq!(verdict(&p, "9"), Verdict::Incomplete { tone: Some("Cisco-Zip") });
    assert_eq!(verdict(&p, "90"), Verdict::Incomplete { tone: Some("Bellcore-Outside") });
    assert_eq!(verdict(&p, "901"), Verdict::Incomplete { tone: None });
    assert_eq!(verdict(&p, "8"), Verdict::Incomplete { tone: Some(DEFAULT_TONE) });
}

#[test]
fn errors_name_file_line_attribute_value_and_what_is_allowed() {
    let t = |body: &str| error(&format!("<DIALTEMPLATE>\n\n{body}\n</DIALTEMPLATE>"));
    let cases = [
        (
            t(r#"<TEMPLATE MATCH="1" Timeout="abc"/>"#),
            "dialplan.xml line 3: Timeout=\"abc\" is not a number of seconds (a whole number of seconds; 0 dials at once)",
        ),
        (
            t(r#"<TEMPLATE MATCH="1" Timeout="-1"/>"#),
            "dialplan.xml line 3: Timeout=\"-1\" is not a number of seconds",
        ),
        (
            t(r#"<TEMPLATE MATCH="1" User="SIP"/>"#),
            "line 3: User=\"SIP\" is not a user type (Phone (;user=phone) or IP (;user=ip))",
        ),
        (
            t(r#"<TEMPLATE MATCH="1" Line="7"/>"#),
            "line 3: Line=\"7\" is not a line number (0 (every line) or a line number 1 to 6)",
        ),
        (t(r#"<TEMPLATE MATCH="9 1"/>"#), "line 3: MATCH=\"9 1\" has ' ' at position 2"),
        (
            t(r#"<TEMPLATE MATCH="1" Rewrite="%7"/>"#),
            "line 3: Rewrite=\"%7\" refers to %7, but there are only groups %1 to %5",
        ),
        (t(r#"<TEMPLATE MATCH="1" Rewrite="12%"/>"#), "line 3: Rewrite=\"12%\" ends in a lone %"),
        (t(r#"<TEMPLATE MATCH="1" Route="10.x.x.1"/>"#), "line 3: Route=\"10.x.x.1\" is a placeholder"),
        (
            t(r#"<TEMPLATE MATCH="1" Route="pbx:0"/>"#),
            "line 3: Route=\"pbx:0\" has a port that is not 1..65535",
        ),
        (t(r#"<TEMPLATE MATCH="1" Tone="Loud"/>"#), "line 3: Tone=\"Loud\" is not a tone the phone has"),
        (
            t(r#"<TEMPLATE MATCH="1" Tone="" Tone="" Tone="" Tone=""/>"#),
            "line 3: Tone is given twice in one TEMPLATE",
        ),
        (
            t(r#"<TEMPLATE MATCH="1" Timeout="1" TIMEOUT="2"/>"#),
            "line 3: TIMEOUT is given twice in one TEMPLATE",
        ),
        (t(r#"<TEMPLATE MATCH="1" Timout="1"/>"#), "line 3: TEMPLATE has no attribute Timout"),
        (t(r#"<TEMPLATE Timeout="1"/>"#), "line 3: TEMPLATE has no MATCH"),
        (t(r#"<TEMPLATE MATCH="1">"#), "line 4: </DIALTEMPLATE> where </TEMPLATE> should be"),
        (t(r#"<TEMPLATE MATCH="1"><TEMPLATE MATCH="2"/></TEMPLATE>"#), "line 3: <TEMPLATE> is out of place"),
        (t(r#"<RULE MATCH="1"/>"#), "line 3: <RULE> is not part of a dial plan"),
        (t("911 emergency"), "line 3: text \"911 emergency\" outside any tag"),
        (t(r#"<TEMPLATE MATCH="1" Timeout="0"#), "line 3: the value of Timeout has no closing quote"),
        (t("<!-- not closed"), "line 3: a comment <!-- is never closed with -->"),
        (
            error(r#"<TEMPLATE MATCH="1"/>"#),
            "dialplan.xml line 1: <TEMPLATE> is out of place (templates go between",
        ),
        (
            error("<DIALTEMPLATE>\n<TEMPLATE MATCH=\"1\"/>\n"),
            "dialplan.xml line 1: <DIALTEMPLATE> is never closed",
        ),
        (
            error("<DIALTEMPLATE/>\n<TEMPLATE MATCH=\"1\"/>"),
            "line 2: <TEMPLATE> is out of place (nothing may follow </DIALTEMPLATE>)",
        ),
        (error("</DIALTEMPLATE>"), "line 1: </DIALTEMPLATE> closes nothing"),
        (error(""), "dialplan.xml line 1: there is no <DIALTEMPLATE> element"),
        (error("<!-- only a comment -->"), "there is no <DIALTEMPLATE> element"),
    ];
    for (got, want) in cases {
        assert!(got.contains(want), "got:  {got}\nwant: {want}");
    }
    let bytes = b"<DIALTEMPLATE>\n<TEMPLATE MATCH=\"\xff\"/>\n</DIALTEMPLATE>";
    let e = DialPlan::parse("x/dialplan.xml", bytes).unwrap_err();
    assert_eq!((e.file.as_str(), e.line, &e.problem), ("x/dialplan.xml", 2, &Problem::NotUtf8));
}

#[test]
fn errors_become_check_findings() {
    let e = DialPlan::parse(
        "p/dialplan.xml",
        b"<DIALTEMPLATE>\n<TEMPLATE MATCH=\"1\" Timeout=\"x\"/>\n</DIALTEMPLATE>",
    )
    .unwrap_err();
    let f = e.finding();
    assert_eq!(f.code, "dialplan");
    assert_eq!(
        f.to_string(),
        "error p/dialplan.xml:2 Timeout: Timeout=\"x\" is not a number of seconds — a whole number of seconds; 0 dials at once"
    );
}

#[test]
fn an_emergency_route_without_proxy_emergency_is_a_warning() {
    let mut config = crate::config::PhoneConfig::default();
    let p = plan(REFERENCE);
    let findings = p.lint(&config);
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .to_string()
            .starts_with("warning dialplan.xml:2 Route: MATCH=\"911\" routes to the emergency proxy")
    );
    config.proxy_emergency.address = Some(Host::parse("192.0.2.9").unwrap());
    assert!(p.lint(&config).is_empty());
}

// ---- the collector on a simulated clock ----

struct Clock(Instant);

impl Clock {
    fn start() -> Clock {
        Clock(Instant::now()) // the epoch only; every other instant is derived from it
    }

    fn at(&self, ms: u64) -> Instant {
        self.0 + Duration::from_millis(ms)
    }
}

fn collector(text: &str, clock: &Clock) -> DigitCollector {
    DigitCollector::new(Arc::new(plan(text)), 1, clock.0)
}

fn dialled(c: Collect) -> Outcome {
    match c {
        Collect::Dial(o) => o,
        other => panic!("expected a dial, got {other:?}"),
    }
}

#[test]
fn collector_dials_at_once_on_a_full_match_with_timeout_zero() {
    let clock = Clock::start();
    let mut c = collector(REFERENCE, &clock);
    assert_eq!(c.poll(clock.at(0)), Collect::Waiting { deadline: None, tone: None });
    assert_eq!(
        c.press(clock.at(100), '9'),
        Collect::Waiting { deadline: Some(clock.at(10_100)), tone: None }
    );
    assert_eq!(
        c.press(clock.at(300), '1'),
        Collect::Waiting { deadline: Some(clock.at(10_300)), tone: None }
    );
    let o = dialled(c.press(clock.at(500), '1'));
    assert_eq!((o.dial.number.as_str(), o.dial.route, o.template), ("911", Route::Emergency, Some(1)));
    assert_eq!(c.press(clock.at(600), '2'), Collect::Spent);
    assert_eq!(c.poll(clock.at(60_000)), Collect::Spent);
    assert_eq!(c.deadline(), None);
}

#[test]
fn collector_waits_the_templates_timeout_after_the_last_key() {
    let clock = Clock::start();
    let mut c = collector(REFERENCE, &clock);
    assert_eq!(c.press(clock.at(0), '5'), Collect::Waiting { deadline: Some(clock.at(5_000)), tone: None });
    assert_eq!(
        c.press(clock.at(1_000), '5'),
        Collect::Waiting { deadline: Some(clock.at(6_000)), tone: None }
    );
    assert_eq!(c.deadline(), Some(clock.at(6_000)));
    assert_eq!(c.poll(clock.at(5_999)), Collect::Waiting { deadline: Some(clock.at(6_000)), tone: None });
    let o = dialled(c.poll(clock.at(6_000)));
    assert_eq!((o.typed.as_str(), o.dial.number.as_str(), o.template), ("55", "55", Some(3)));
}

#[test]
fn collector_waits_the_default_while_a_longer_template_is_possible() {
    let clock = Clock::start();
    let mut c = collector(REFERENCE, &clock);
    c.press(clock.at(0), '3');
    assert_eq!(
        c.press(clock.at(200), '1'),
        Collect::Waiting { deadline: Some(clock.at(10_200)), tone: None }
    );
    // The user stops: after 10 s the best full fit (*) dials 31 as typed.
    let o = dialled(c.poll(clock.at(10_200)));
    assert_eq!((o.dial.number.as_str(), o.template), ("31", Some(3)));
    // Typing on makes 31. fit: rewritten and dialled at once.
    let mut c = collector(REFERENCE, &clock);
    c.press(clock.at(0), '3');
    c.press(clock.at(100), '1');
    let o = dialled(c.press(clock.at(200), '2'));
    assert_eq!(o.dial.number, "11111111312");
    assert_eq!(o.to_string(), "312 -> 11111111312;user=phone (template 2)");
}

#[test]
fn collector_hash_dials_now() {
    let clock = Clock::start();
    let mut c = collector(REFERENCE, &clock);
    c.press(clock.at(0), '3');
    c.press(clock.at(100), '1');
    let o = dialled(c.press(clock.at(200), '#'));
    assert_eq!((o.typed.as_str(), o.dial.number.as_str()), ("31", "31"));
    // A # before anything is typed does nothing.
    let mut c = collector(REFERENCE, &clock);
    assert_eq!(c.press(clock.at(0), '#'), Collect::Waiting { deadline: None, tone: None });
    // With no plan, # dials what was typed.
    let mut c = DigitCollector::new(Arc::new(DialPlan::default()), 1, clock.0);
    c.press(clock.at(0), '4');
    assert_eq!(dialled(c.press(clock.at(10), '#')).dial, Dial::plain("4"));
}

#[test]
fn collector_keeps_a_hash_that_a_template_expects() {
    let clock = Clock::start();
    let mut c = collector(r#"<DIALTEMPLATE><TEMPLATE MATCH="\*21#" Timeout="0"/></DIALTEMPLATE>"#, &clock);
    for (ms, key) in [(0, '*'), (10, '2'), (20, '1')] {
        assert!(matches!(c.press(clock.at(ms), key), Collect::Waiting { .. }));
    }
    let o = dialled(c.press(clock.at(30), '#'));
    assert_eq!((o.dial.number.as_str(), o.template), ("*21#", Some(1)));
}

#[test]
fn collector_with_no_plan_dials_as_typed_after_the_default_timeout() {
    let clock = Clock::start();
    let mut c = DigitCollector::new(Arc::new(DialPlan::default()), 1, clock.0);
    assert_eq!(c.press(clock.at(0), '0'), Collect::Waiting { deadline: Some(clock.at(10_000)), tone: None });
    c.press(clock.at(3_000), '1');
    assert!(matches!(c.poll(clock.at(12_999)), Collect::Waiting { .. }));
    let o = dialled(c.poll(clock.at(13_000)));
    assert_eq!((o.dial.number.as_str(), o.template), ("01", None));
}

#[test]
fn collector_plays_the_secondary_dial_tone_at_a_comma() {
    let clock = Clock::start();
    let mut c = collector(
        r#"<DIALTEMPLATE><TEMPLATE MATCH="9,......." Timeout="0" Tone="Bellcore-Inside" Rewrite="%1"/></DIALTEMPLATE>"#,
        &clock,
    );
    assert_eq!(
        c.press(clock.at(0), '9'),
        Collect::Waiting { deadline: Some(clock.at(10_000)), tone: Some("Bellcore-Inside") }
    );
    assert_eq!(
        c.press(clock.at(500), '5'),
        Collect::Waiting { deadline: Some(clock.at(10_500)), tone: None }
    );
    for (i, key) in "555123".chars().enumerate() {
        let r = c.press(clock.at(600 + i as u64), key);
        if i < 5 {
            assert!(matches!(r, Collect::Waiting { .. }), "{r:?}");
        } else {
            assert_eq!(dialled(r).dial.number, "5555123");
        }
    }
}

#[test]
fn collector_hotline_dials_on_its_own() {
    let clock = Clock::start();
    let mut c =
        collector(r#"<DIALTEMPLATE><TEMPLATE MATCH="" Timeout="0" Rewrite="300"/></DIALTEMPLATE>"#, &clock);
    assert_eq!(dialled(c.poll(clock.at(0))).dial.number, "300");
    let mut c =
        collector(r#"<DIALTEMPLATE><TEMPLATE MATCH="" Timeout="4" Rewrite="300"/></DIALTEMPLATE>"#, &clock);
    assert_eq!(c.deadline(), Some(clock.at(4_000)));
    assert_eq!(dialled(c.poll(clock.at(4_000))).dial.number, "300");
}

#[test]
fn collector_ignores_other_keys_and_caps_the_length() {
    let clock = Clock::start();
    let mut c = collector(REFERENCE, &clock);
    assert_eq!(c.press(clock.at(0), 'x'), Collect::Waiting { deadline: None, tone: None });
    assert_eq!(c.press(clock.at(0), ' '), Collect::Waiting { deadline: None, tone: None });
    c.press(clock.at(0), 'a');
    assert_eq!(c.typed(), "A");
    for i in 0..300u64 {
        c.press(clock.at(i), '7');
    }
    assert_eq!(c.typed().len(), collect::MAX_DIGITS);
}

#[test]
fn the_sipgate_uk_profile_plan() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/profiles/sipgate-uk/dialplan.xml");
    let bytes = std::fs::read(path).expect("profiles/sipgate-uk/dialplan.xml");
    let p = DialPlan::parse("dialplan.xml", &bytes).unwrap_or_else(|e| panic!("{e}"));
    let check = |number: &str, want: &str, route: Route| {
        let o = p.apply(1, number);
        assert_eq!((o.dial.number.as_str(), &o.dial.route), (want, &route), "{number}: {o}");
    };
    check("999", "999", Route::Emergency);
    check("112", "112", Route::Emergency);
    check("02071234567", "02071234567", Route::Default);
    check("00493012345678", "00493012345678", Route::Default);
    check("10000", "10000", Route::Default);
    let clock = Clock::start();
    let mut c = DigitCollector::new(Arc::new(p), 1, clock.0);
    c.press(clock.at(0), '9');
    c.press(clock.at(100), '9');
    let o = dialled(c.press(clock.at(200), '9'));
    assert_eq!(o.dial.route, Route::Emergency);
}
