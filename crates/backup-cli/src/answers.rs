//! The terminal's answers to a workflow's questions: the flags first
//! (`--accept-terms`, `--trust-fingerprint`), else a prompt, else — with
//! nobody to ask — an error that names the flag.

use backup_workflows::{Answers, DownloadTerms, Error, PresentedKey, Result};

use crate::prompt;

#[derive(Debug, Default)]
pub struct TerminalAnswers {
    pub interactive: bool,
    /// `--accept-terms`.
    pub accept_terms: bool,
    /// `--trust-fingerprint`.
    pub trust_fingerprint: Option<String>,
}

fn ask(question: &str) -> Result<bool> {
    prompt::confirm(true, question, "").map_err(|e| Error::Invalid(e.message))
}

impl Answers for TerminalAnswers {
    fn accept_terms(&mut self, terms: &DownloadTerms) -> Result<bool> {
        if self.accept_terms {
            return Ok(true);
        }
        if !self.interactive {
            return Err(Error::TermsDeclined(format!(
                "The download terms (version {}) must be accepted first; no one can answer here, so pass --accept-terms to accept them.",
                terms.version
            )));
        }
        eprintln!(
            "Download terms (version {}):\n{}\n",
            terms.version, terms.text
        );
        ask("Do you accept the download terms?")
    }

    fn trust_host_key(&mut self, key: &PresentedKey) -> Result<bool> {
        let server = format!("{}:{}", key.host, key.port);
        if let Some(given) = &self.trust_fingerprint {
            if *given == key.fingerprint {
                return Ok(true);
            }
            return Err(Error::HostKeyNotTrusted(format!(
                "The server {server} presents {} ({} key), not the fingerprint given with --trust-fingerprint ({given}); nothing was trusted. Check the fingerprint with your provider.",
                key.fingerprint, key.key_type
            )));
        }
        if !self.interactive {
            let what = if key.replaces.is_some() {
                "presents a new key"
            } else {
                "is not known yet"
            };
            return Err(Error::HostKeyNotTrusted(format!(
                "The server {server} {what} ({} key, fingerprint {}). Check it with your provider, then pass --trust-fingerprint {}.",
                key.key_type, key.fingerprint, key.fingerprint
            )));
        }
        match &key.replaces {
            Some(old) => eprintln!(
                "The server {server} presents a new {} key:\n  {}\nreplacing the trusted\n  {old}",
                key.key_type, key.fingerprint
            ),
            None => eprintln!(
                "The server {server} is not known yet. Its {} key's fingerprint is:\n  {}",
                key.key_type, key.fingerprint
            ),
        }
        if key.published {
            eprintln!("It matches what the provider publishes.");
        }
        ask("Trust this server?")
    }
}
