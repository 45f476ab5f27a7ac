//! `backup-desk health`: every account at a glance — green, amber or red,
//! with why — for a person at a terminal and for monitoring (exit code 9
//! when any account is red).

use std::io::IsTerminal;

use backup_workflows::{AccountHealth, HealthLevel, HealthReason, HealthReport};
use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::contents;
use crate::context::Context;
use crate::fail::{CliError, CliResult, Exit};
use crate::render;

/// Prints the health of every account (only `account`'s with `--account`);
/// `Unhealthy` when one of them is red.
pub async fn show(ctx: &Context, account: Option<&str>) -> CliResult {
    let only = match account {
        Some(selector) => Some(ctx.desk.select_account(Some(selector))?.id),
        None => None,
    };
    let mut report = ctx.desk.health().await?;
    report
        .accounts
        .retain(|a| only.is_none_or(|id| a.account.id == id));
    if ctx.json {
        let worst = (!report.accounts.is_empty()).then(|| level_wire(report.worst()));
        let accounts: Vec<Value> = report.accounts.iter().map(account_json).collect();
        println!("{}", json!({"worst": worst, "accounts": accounts}));
    } else {
        print_text(&report);
    }
    let red: Vec<String> = report
        .accounts
        .iter()
        .filter(|a| a.level == HealthLevel::Red)
        .map(|a| format!("{} ({})", a.account.display_name, a.account.account_id))
        .collect();
    if red.is_empty() {
        return Ok(());
    }
    Err(CliError::new(
        Exit::Unhealthy,
        format!(
            "red: {}: no verified copy as recent as the plan allows; download a ready backup or request one.",
            red.join(", ")
        ),
    ))
}

fn level_wire(level: HealthLevel) -> &'static str {
    match level {
        HealthLevel::Green => "green",
        HealthLevel::Amber => "amber",
        HealthLevel::Red => "red",
    }
}

/// `GREEN`, `AMBER`, `RED  `: readable without colour; coloured on a
/// terminal unless `NO_COLOR` is set.
fn level_word(level: HealthLevel, colour: bool) -> String {
    let (word, code) = match level {
        HealthLevel::Green => ("GREEN", "32"),
        HealthLevel::Amber => ("AMBER", "33"),
        HealthLevel::Red => ("RED", "31"),
    };
    let padded = format!("{word:<5}");
    if colour {
        format!("\u{1b}[1;{code}m{padded}\u{1b}[0m")
    } else {
        padded
    }
}

fn reason_wire(reason: &HealthReason) -> &'static str {
    match reason {
        HealthReason::NoVerifiedCopy => "no_verified_copy",
        HealthReason::CopyTooOld { .. } => "copy_too_old",
        HealthReason::ExpiresSoon { .. } => "expires_soon",
        HealthReason::ChangeAlert { .. } => "change_alert",
    }
}

fn reason_words(reason: &HealthReason, health: &AccountHealth) -> String {
    let limit = render::human_duration(health.limit);
    match reason {
        HealthReason::NoVerifiedCopy if health.level == HealthLevel::Red => format!(
            "no verified copy in more than {limit} (the plan's cooldown plus download window)"
        ),
        HealthReason::NoVerifiedCopy => "no verified copy yet".into(),
        HealthReason::CopyTooOld { age, limit } => format!(
            "the last verified copy is {} old, more than the {} the plan allows (cooldown plus download window)",
            render::human_duration(*age),
            render::human_duration(*limit)
        ),
        HealthReason::ExpiresSoon { at } => format!(
            "a ready backup expires on {} without having been downloaded",
            render::date(*at)
        ),
        HealthReason::ChangeAlert { count: 1 } => "1 change alert in the newest backup".into(),
        HealthReason::ChangeAlert { count } => {
            format!("{count} change alerts in the newest backup")
        }
    }
}

/// How old the copy is at the verdict's instant (a copy "from the future",
/// after a clock moved back, is fresh).
fn age(health: &AccountHealth) -> Option<TimeDelta> {
    let copy = health.last_copy.as_ref()?;
    Some((health.as_of - copy.backup_at).max(TimeDelta::zero()))
}

fn next_request(health: &AccountHealth) -> String {
    match (health.request_allowed, health.next_request_at) {
        (true, _) => "now".into(),
        (false, Some(at)) => render::date(at),
        (false, None) if health.unreachable.is_some() => "unknown".into(),
        (false, None) => "not now (a backup is being prepared, or the role may not request)".into(),
    }
}

fn account_json(health: &AccountHealth) -> Value {
    let last_copy = health.last_copy.as_ref().map(|copy| {
        json!({"backup_id": copy.download.backup_id, "backup_at": render::date(copy.backup_at),
               "verified_at": render::date(copy.download.verified_at),
               "age_seconds": age(health).map(|a| a.num_seconds()), "path": copy.path})
    });
    let reasons: Vec<Value> = health
        .reasons
        .iter()
        .map(|r| json!({"reason": reason_wire(r), "text": reason_words(r, health)}))
        .collect();
    let ready: Vec<Value> = health
        .ready_not_downloaded
        .iter()
        .map(|(id, at)| json!({"id": id, "expires_at": render::date(*at)}))
        .collect();
    let a = &health.account;
    json!({"id": a.id, "account_id": a.account_id, "name": a.display_name,
           "level": level_wire(health.level), "reasons": reasons, "last_copy": last_copy,
           "limit_seconds": health.limit.num_seconds(), "ready_not_downloaded": ready,
           "request_allowed": health.request_allowed,
           "next_request_at": health.next_request_at.map(render::date),
           "automatic": health.automatic, "alerts": contents::alerts_json(&health.alerts),
           "unreachable": health.unreachable, "as_of": render::date(health.as_of)})
}

fn print_text(report: &HealthReport) {
    if report.accounts.is_empty() {
        println!("No accounts yet. Add one with: backup-desk account add --provider URL");
        return;
    }
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for health in &report.accounts {
        for line in lines(health, colour) {
            println!("{line}");
        }
    }
}

/// An account's row and its details, indented under it.
fn lines(health: &AccountHealth, colour: bool) -> Vec<String> {
    let a = &health.account;
    let mut out = vec![format!(
        "{}  {} ({})",
        level_word(health.level, colour),
        a.display_name,
        a.account_id
    )];
    let mut detail = |text: String| out.push(format!("       {text}"));
    match (&health.last_copy, age(health)) {
        (Some(copy), Some(age)) => {
            let place = match &copy.path {
                Some(path) => path.display().to_string(),
                None => format!("no longer on disk (was {})", copy.download.path),
            };
            detail(format!(
                "last verified copy: {} old ({}), {place}",
                render::human_duration(age),
                copy.download.backup_id
            ));
        }
        _ => detail("last verified copy: none".into()),
    }
    for reason in &health.reasons {
        detail(format!("why: {}", reason_words(reason, health)));
    }
    for (id, at) in &health.ready_not_downloaded {
        let left = render::human_duration(*at - health.as_of);
        detail(format!(
            "ready, not downloaded: {id} expires {} (in {left})",
            render::date(*at)
        ));
    }
    detail(format!("next request: {}", next_request(health)));
    detail(format!(
        "automatic: {}",
        if health.automatic { "on" } else { "off" }
    ));
    for alert in &health.alerts {
        detail(format!("⚠ change alert: {}", contents::alert_line(alert)));
    }
    if let Some(why) = &health.unreachable {
        detail(format!("provider unreachable: {why}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_reads_without_colour_and_is_coloured_only_when_asked() {
        assert_eq!(level_word(HealthLevel::Red, false), "RED  ");
        assert_eq!(level_word(HealthLevel::Amber, false), "AMBER");
        let coloured = level_word(HealthLevel::Green, true);
        assert!(
            coloured.contains("GREEN") && coloured.starts_with('\u{1b}'),
            "{coloured:?}"
        );
    }
}
