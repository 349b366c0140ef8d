//! `sip7940 check`: the effective configuration and the findings, as text or JSON.

use super::{Cli, output};
use crate::config::dialplan::DialPlanError;
use crate::config::print::cnf_value;
use crate::config::{DialPlan, Finding, Origin, Setting, Severity};
use crate::io::config_source::Booted;
use serde_json::{Value, json};
use std::process::ExitCode;

/// Options of `check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Print one JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

pub(super) fn run(cli: &Cli, args: &CheckArgs) -> ExitCode {
    let (mut from, plan) = match super::boot::provisioning(cli).and_then(|mut p| p.load()) {
        Ok(from) => {
            let plan = from.parse_dial_plan();
            (from, plan)
        }
        Err(err) => {
            if args.json {
                let _ = output::print(&format!("{}\n", json!({ "error": err.to_string() })));
            }
            eprintln!("sip7940 check: {err}");
            return ExitCode::from(2);
        }
    };
    let plan = add_dial_plan(&mut from, plan);
    let text = if args.json { format!("{:#}\n", to_json(&from, &plan)) } else { to_text(&from, &plan) };
    if let Err(err) = output::print(&text) {
        eprintln!("sip7940 check: cannot write the report: {err}");
        return ExitCode::from(2);
    }
    ExitCode::from(if from.loaded.has_errors() { 1 } else { 0 })
}

/// What `check` says about the dial plan.
enum PlanStatus {
    /// No `<dial_template>.xml`.
    Missing(String),
    /// Read, with this many templates.
    Read(String, usize),
    /// Read, with an error (among the findings).
    Broken(String),
}

/// Adds the dial plan's file to the files and its errors and warnings to the findings.
fn add_dial_plan(from: &mut Booted, plan: Option<Result<DialPlan, DialPlanError>>) -> PlanStatus {
    let name = format!("{}.xml", from.loaded.config.features.dial_template);
    match plan {
        None => PlanStatus::Missing(name),
        Some(Ok(plan)) => {
            let file = plan.file.clone().unwrap_or(name);
            from.files.push(file.clone());
            from.loaded.findings.extend(plan.lint(&from.loaded.config));
            PlanStatus::Read(file, plan.templates.len())
        }
        Some(Err(e)) => {
            from.files.push(e.file.clone());
            from.loaded.findings.push(e.finding());
            PlanStatus::Broken(e.file)
        }
    }
}

fn plan_line(plan: &PlanStatus) -> String {
    match plan {
        PlanStatus::Missing(name) => format!("; dial plan: none (no {name}: numbers are dialled as typed)"),
        PlanStatus::Read(file, n) => format!("; dial plan: {file}, {n} template(s)"),
        PlanStatus::Broken(file) => format!("; dial plan: {file} has an error (below)"),
    }
}

fn files_line(from: &Booted) -> String {
    let mac = from.mac.map(|m| format!(" (MAC {m})")).unwrap_or_default();
    format!("{}{mac}", from.files.join(" + "))
}

fn to_text(from: &Booted, plan: &PlanStatus) -> String {
    let mut out = format!("; sip7940 effective configuration: {}\n{}\n", files_line(from), plan_line(plan));
    let rows: Vec<(String, &Setting)> =
        from.loaded.settings.iter().map(|s| (format!("{} : {}", s.key, cnf_value(&s.shown)), s)).collect();
    let width = rows.iter().map(|(r, _)| r.chars().count()).max().unwrap_or(0);
    for (row, setting) in &rows {
        let unknown = if setting.known { "" } else { " (unknown key, kept)" };
        out.push_str(&format!("{row:<width$}  ; {}{unknown}\n", setting.origin));
    }
    out.push('\n');
    for finding in &from.loaded.findings {
        out.push_str(&format!("{finding}\n"));
    }
    out.push_str(&summary(&from.loaded.findings));
    out.push('\n');
    out
}

fn summary(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "check: no findings".into();
    }
    let count = |s| findings.iter().filter(|f| f.severity == s).count();
    format!(
        "check: {} error(s), {} warning(s), {} info",
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info)
    )
}

fn origin_json(origin: &Origin) -> Value {
    match origin {
        Origin::File { path, line } => json!({ "from": origin.to_string(), "file": &**path, "line": line }),
        _ => json!({ "from": origin.to_string(), "file": null, "line": null }),
    }
}

fn with_origin(mut fields: Value, origin: &Origin) -> Value {
    if let (Some(map), Value::Object(o)) = (fields.as_object_mut(), origin_json(origin)) {
        map.extend(o);
    }
    fields
}

fn to_json(from: &Booted, plan: &PlanStatus) -> Value {
    let settings: Vec<Value> = from
        .loaded
        .settings
        .iter()
        .map(|s| with_origin(json!({ "key": s.key, "value": s.shown, "known": s.known }), &s.origin))
        .collect();
    let findings: Vec<Value> = from
        .loaded
        .findings
        .iter()
        .map(|f| {
            let fields = json!({
                "severity": f.severity.word(), "code": f.code, "key": f.key,
                "problem": f.problem, "advice": f.advice, "text": f.to_string(),
            });
            with_origin(fields, &f.origin)
        })
        .collect();
    let count = |s| from.loaded.findings.iter().filter(|f| f.severity == s).count();
    json!({
        "files": from.files,
        "mac": from.mac.map(|m| m.to_string()),
        "dial_plan": match plan {
            PlanStatus::Missing(_) => json!(null),
            PlanStatus::Read(file, n) => json!({ "file": file, "templates": n, "ok": true }),
            PlanStatus::Broken(file) => json!({ "file": file, "templates": null, "ok": false }),
        },
        "settings": settings,
        "findings": findings,
        "errors": count(Severity::Error),
        "warnings": count(Severity::Warning),
        "info": count(Severity::Info),
    })
}
