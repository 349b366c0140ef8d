//! From the bytes of `dialplan.xml` to a [`DialPlan`]: the document's shape
//! (`<DIALTEMPLATE>` holding `<TEMPLATE …/>` or `<TEMPLATE …></TEMPLATE>`, names in any
//! case, `<versionStamp>` skipped) and each attribute's value.

use super::error::{DialPlanError, Problem};
use super::pattern::Pattern;
use super::rewrite::Rewrite;
use super::xml::{self, Attr, Node};
use super::{DialPlan, Route, TONES, Template, UserMode};
use crate::config::Host;
use crate::config::phone::MAX_LINES;
use std::time::Duration;

/// How many `Tone` attributes one TEMPLATE may have (the firmware's limit).
const MAX_TONES: usize = 3;

pub(super) fn parse(file: &str, bytes: &[u8]) -> Result<DialPlan, DialPlanError> {
    let err = |line: u32, problem: Problem| DialPlanError { file: file.to_owned(), line, problem };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let before = bytes.get(..e.valid_up_to()).unwrap_or(&[]);
        err(line_count(before), Problem::NotUtf8)
    })?;
    let nodes = xml::tokenize(text).map_err(|e| err(e.line, Problem::Xml(e.problem)))?;
    let mut plan = DialPlan { file: Some(file.to_owned()), templates: Vec::new() };
    let mut nodes = nodes.into_iter();
    // The open <DIALTEMPLATE> and its line; `done` once it is closed.
    let mut root: Option<(String, u32)> = None;
    let mut done = false;
    while let Some(node) = nodes.next() {
        match node {
            Node::Text { text, line } => {
                return Err(err(line, Problem::StrayText { text: shorten(text) }));
            }
            Node::Start { name, line, .. } if done => {
                return Err(err(
                    line,
                    Problem::Misplaced {
                        element: name.into(),
                        allowed: "nothing may follow </DIALTEMPLATE>",
                    },
                ));
            }
            Node::Start { name, empty, line, .. } if name.eq_ignore_ascii_case("DIALTEMPLATE") => {
                if root.is_some() {
                    return Err(err(
                        line,
                        Problem::Misplaced {
                            element: name.into(),
                            allowed: "a file holds one <DIALTEMPLATE>, not one inside another",
                        },
                    ));
                }
                if empty {
                    done = true;
                } else {
                    root = Some((name.to_owned(), line));
                }
            }
            Node::Start { name, attrs, empty, line } if name.eq_ignore_ascii_case("TEMPLATE") => {
                if root.is_none() {
                    return Err(err(
                        line,
                        Problem::Misplaced {
                            element: name.into(),
                            allowed: "templates go between <DIALTEMPLATE> and </DIALTEMPLATE>",
                        },
                    ));
                }
                let index = plan.templates.len() + 1;
                plan.templates.push(template(index, line, &attrs).map_err(|(l, p)| err(l, p))?);
                if !empty {
                    close(&mut nodes, name, line).map_err(|(l, p)| err(l, p))?;
                }
            }
            Node::Start { name, empty, line, .. }
                if name.eq_ignore_ascii_case("versionStamp") && root.is_some() =>
            {
                if !empty {
                    skip_version(&mut nodes, name, line).map_err(|(l, p)| err(l, p))?;
                }
            }
            Node::Start { name, line, .. } => {
                return Err(err(line, Problem::UnknownElement { element: name.into() }));
            }
            Node::End { name, line } => match &root {
                Some((open, _)) if open.eq_ignore_ascii_case(name) => {
                    root = None;
                    done = true;
                }
                open => {
                    let open = open.as_ref().map(|(n, _)| n.clone());
                    return Err(err(line, Problem::Mismatched { found: name.into(), open }));
                }
            },
        }
    }
    if let Some((element, line)) = root {
        return Err(err(line, Problem::Unclosed { element }));
    }
    if !done {
        return Err(err(1, Problem::NoDialTemplate));
    }
    Ok(plan)
}

fn line_count(bytes: &[u8]) -> u32 {
    1 + u32::try_from(bytes.iter().filter(|&&b| b == b'\n').count()).unwrap_or(u32::MAX - 1)
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

type Located = (u32, Problem);

/// After `<TEMPLATE …>`: only `</TEMPLATE>` may follow.
fn close<'a>(nodes: &mut impl Iterator<Item = Node<'a>>, name: &str, line: u32) -> Result<(), Located> {
    match nodes.next() {
        Some(Node::End { name: end, .. }) if end.eq_ignore_ascii_case(name) => Ok(()),
        Some(Node::End { name: end, line }) => {
            Err((line, Problem::Mismatched { found: end.into(), open: Some(name.into()) }))
        }
        Some(Node::Start { name: inner, line, .. }) => Err((
            line,
            Problem::Misplaced {
                element: inner.into(),
                allowed: "a TEMPLATE holds nothing: write <TEMPLATE …/>",
            },
        )),
        Some(Node::Text { text, line }) => Err((line, Problem::StrayText { text: shorten(text) })),
        None => Err((line, Problem::Unclosed { element: name.into() })),
    }
}

/// `<versionStamp>…</versionStamp>` (from CallManager-made files): skipped.
fn skip_version<'a>(
    nodes: &mut impl Iterator<Item = Node<'a>>,
    name: &str,
    line: u32,
) -> Result<(), Located> {
    loop {
        match nodes.next() {
            Some(Node::Text { .. }) => {}
            Some(Node::End { name: end, .. }) if end.eq_ignore_ascii_case(name) => return Ok(()),
            Some(Node::End { name: end, line }) => {
                return Err((line, Problem::Mismatched { found: end.into(), open: Some(name.into()) }));
            }
            Some(Node::Start { name: inner, line, .. }) => {
                return Err((
                    line,
                    Problem::Misplaced { element: inner.into(), allowed: "<versionStamp> holds only text" },
                ));
            }
            None => return Err((line, Problem::Unclosed { element: name.into() })),
        }
    }
}

fn bad(
    attr: &Attr<'_>,
    attribute: &'static str,
    problem: impl Into<String>,
    allowed: &'static str,
) -> Located {
    (
        attr.line,
        Problem::BadValue { attribute, value: attr.value.to_string(), problem: problem.into(), allowed },
    )
}

/// One TEMPLATE's attributes.
fn template(index: usize, line: u32, attrs: &[Attr<'_>]) -> Result<Template, Located> {
    let mut t = Template {
        index,
        file_line: line,
        match_text: String::new(),
        pattern: Pattern::parse("").map_err(|_| (line, Problem::NoMatch))?,
        line: 0,
        timeout: super::DEFAULT_TIMEOUT,
        user: None,
        rewrite_text: String::new(),
        rewrite: Rewrite::default(),
        route: Route::Default,
        tones: Vec::new(),
    };
    let mut seen: Vec<&str> = Vec::new();
    let mut has_match = false;
    for attr in attrs {
        let canonical = ["MATCH", "Line", "Timeout", "User", "Rewrite", "Route", "Tone"]
            .into_iter()
            .find(|k| k.eq_ignore_ascii_case(attr.name))
            .ok_or_else(|| (attr.line, Problem::UnknownAttribute { attribute: attr.name.into() }))?;
        if canonical != "Tone" && seen.contains(&canonical) {
            return Err((attr.line, Problem::Duplicate { attribute: attr.name.into() }));
        }
        seen.push(canonical);
        let value = attr.value.as_ref();
        match canonical {
            "MATCH" => {
                t.pattern = Pattern::parse(value).map_err(|e| {
                    bad(
                        attr,
                        "MATCH",
                        e.to_string(),
                        "digits, letters, # and +, with the wildcards . * , and \\ (at most 195 characters)",
                    )
                })?;
                t.match_text = value.to_owned();
                has_match = true;
            }
            "Line" => {
                t.line = value.trim().parse::<usize>().ok().filter(|n| *n <= MAX_LINES).ok_or_else(|| {
                    bad(attr, "Line", "is not a line number", "0 (every line) or a line number 1 to 6")
                })?;
            }
            "Timeout" => {
                let secs = value.trim().parse::<u32>().map_err(|_| {
                    bad(
                        attr,
                        "Timeout",
                        "is not a number of seconds",
                        "a whole number of seconds; 0 dials at once",
                    )
                })?;
                t.timeout = Duration::from_secs(u64::from(secs));
            }
            "User" => {
                t.user = Some(match value.trim() {
                    v if v.eq_ignore_ascii_case("phone") => UserMode::Phone,
                    v if v.eq_ignore_ascii_case("ip") => UserMode::Ip,
                    _ => {
                        return Err(bad(
                            attr,
                            "User",
                            "is not a user type",
                            "Phone (;user=phone) or IP (;user=ip)",
                        ));
                    }
                });
            }
            "Rewrite" => {
                t.rewrite = Rewrite::parse(value).map_err(|e| {
                    bad(attr, "Rewrite", e.to_string(), "digits and text with %s or %0 (all typed), %1..%5 (groups), . (the next captured digit), %% (a percent)")
                })?;
                t.rewrite_text = value.to_owned();
            }
            "Route" => t.route = route(attr)?,
            _ => {
                if t.tones.len() == MAX_TONES {
                    return Err((attr.line, Problem::Duplicate { attribute: attr.name.into() }));
                }
                let tone = match value.trim() {
                    "" => super::DEFAULT_TONE,
                    v => TONES.iter().copied().find(|n| n.eq_ignore_ascii_case(v)).ok_or_else(|| {
                        bad(attr, "Tone", "is not a tone the phone has", "a tone name such as Bellcore-Outside, Bellcore-Inside, Cisco-Zip (see the README)")
                    })?,
                };
                t.tones.push(tone);
            }
        }
    }
    if !has_match {
        return Err((line, Problem::NoMatch));
    }
    Ok(t)
}

/// `Default`, `Emergency`, `FQDN` (any case), or `host[:port]`.
fn route(attr: &Attr<'_>) -> Result<Route, Located> {
    const ALLOWED: &str = "Emergency (proxy_emergency), FQDN (the number is user@host), Default, or a host name or address with an optional :port";
    let value = attr.value.trim();
    let keyword = |k: &str| value.eq_ignore_ascii_case(k);
    if keyword("Default") || value.is_empty() {
        return Ok(Route::Default);
    }
    if keyword("Emergency") {
        return Ok(Route::Emergency);
    }
    if keyword("FQDN") {
        return Ok(Route::Fqdn);
    }
    let (host, port) = match value.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad(attr, "Route", "has a port that is not 1..65535", ALLOWED))?;
            (host, Some(port))
        }
        _ => (value, None),
    };
    let host = Host::parse(host).map_err(|e| bad(attr, "Route", e.to_string(), ALLOWED))?;
    Ok(Route::Host { host, port })
}
