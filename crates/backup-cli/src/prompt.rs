//! Questions to the person at the terminal. Without one (a script, cron,
//! stdin closed) nothing waits: the command fails and names the flag to use.

use std::io::{BufRead, IsTerminal, Read, Write};

use crate::fail::{CliError, CliResult};

/// Reads a secret: hidden from a terminal, or the first line of piped stdin.
/// Surrounding spaces are dropped (a token never has them).
pub fn secret(question: &str, flag_hint: &str) -> CliResult<String> {
    let value = read_hidden(question)?.trim().to_owned();
    if value.is_empty() {
        return Err(CliError::usage(format!(
            "Nothing was given on stdin. {flag_hint}"
        )));
    }
    Ok(value)
}

/// Reads a passphrase like [`secret`], keeping its spaces: they are part of it.
pub fn passphrase(question: &str, flag_hint: &str) -> CliResult<String> {
    let value = read_hidden(question)?;
    if value.is_empty() {
        return Err(CliError::usage(format!(
            "No passphrase was given. {flag_hint}"
        )));
    }
    Ok(value)
}

/// A hidden line from the terminal, or the first line of piped stdin
/// (without its line ending).
fn read_hidden(question: &str) -> CliResult<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return rpassword::prompt_password(question)
            .map_err(|e| CliError::usage(format!("Cannot read from the terminal: {e}")));
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|e| CliError::usage(format!("Cannot read stdin: {e}")))?;
    Ok(text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r')
        .to_owned())
}

/// Asks a yes/no question; `false` unless the person answers yes. Fails when
/// nobody can answer, naming `flag` as the non-interactive way.
pub fn confirm(interactive: bool, question: &str, flag: &str) -> CliResult<bool> {
    if !interactive {
        return Err(CliError::usage(format!(
            "{question} — no one can answer here; pass {flag} to confirm."
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(e.to_string()))?;
    Ok(matches!(
        answer.trim().to_lowercase().as_str(),
        "y" | "yes" | "s" | "sim"
    ))
}

/// Asks the person to pick one of `options` by number.
pub fn choose(interactive: bool, title: &str, options: &[String], flag: &str) -> CliResult<usize> {
    if !interactive {
        let list = options
            .iter()
            .map(|o| format!("  {o}"))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(CliError::usage(format!(
            "{title}:\n{list}\nPick one with {flag}."
        )));
    }
    eprintln!("{title}:");
    for (i, option) in options.iter().enumerate() {
        eprintln!("  {}) {option}", i + 1);
    }
    eprint!("Number: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::usage(e.to_string()))?;
    answer
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=options.len()).contains(n))
        .map(|n| n - 1)
        .ok_or_else(|| CliError::usage("That is not one of the numbers."))
}
