//! The commands the UI may invoke. Each unpacks state, calls the core and
//! maps its error to [`crate::error::AppError`]; none returns a key, a
//! passphrase or a token. Every name here is declared in `build.rs` and
//! granted to the main window in `capabilities/main-window.json`.

pub mod accounts;
pub mod backups;
pub mod download;
pub mod settings;

use tauri::{AppHandle, Manager, Runtime};

use crate::shell::Shell;

/// News worth a desktop notification, in the app's language.
#[derive(Debug)]
pub enum Notice<'a> {
    Ready { account: &'a str, backup: &'a str },
    ExpiringSoon { account: &'a str, backup: &'a str },
    Verified { path: &'a str },
}

impl Notice<'_> {
    /// Title and body in Portuguese (`pt`) or English, like the window.
    pub fn text(&self, pt: bool) -> (String, String) {
        match (self, pt) {
            (Notice::Ready { account, backup }, false) => (
                "Backup ready".into(),
                format!("A backup of {account} is ready to download ({backup})."),
            ),
            (Notice::Ready { account, backup }, true) => (
                "Backup pronto".into(),
                format!("Um backup de {account} está pronto para baixar ({backup})."),
            ),
            (Notice::ExpiringSoon { account, backup }, false) => (
                "Backup expiring soon".into(),
                format!(
                    "A ready backup of {account} can be downloaded for less than two days ({backup})."
                ),
            ),
            (Notice::ExpiringSoon { account, backup }, true) => (
                "Backup prestes a expirar".into(),
                format!(
                    "Um backup pronto de {account} pode ser baixado por menos de dois dias ({backup})."
                ),
            ),
            (Notice::Verified { path }, false) => (
                "Download verified".into(),
                format!("{path} was saved and matches the provider's checksum."),
            ),
            (Notice::Verified { path }, true) => (
                "Download verificado".into(),
                format!("{path} foi salvo e confere com o checksum do provedor."),
            ),
        }
    }
}

/// Whether the app speaks Portuguese: the setting, else the OS language.
pub fn speaks_portuguese(shell: &Shell) -> bool {
    let chosen = shell
        .db(|s| s.setting(accounts::LANGUAGE))
        .ok()
        .flatten()
        .filter(|l| l != "system");
    chosen
        .or_else(sys_locale::get_locale)
        .is_some_and(|l| l.to_ascii_lowercase().starts_with("pt"))
}

/// Shows `notice` as a desktop notification; a desktop without a
/// notification service only loses the popup (the window shows the same news).
pub fn announce<R: Runtime>(app: &AppHandle<R>, shell: &Shell, notice: &Notice<'_>) {
    let (title, body) = notice.text(speaks_portuguese(shell));
    notify(app, &title, &body);
}

fn notify<R: Runtime>(app: &AppHandle<R>, title: &str, body: &str) {
    use tauri_plugin_notification::NotificationExt;
    if app
        .try_state::<tauri_plugin_notification::Notification<R>>()
        .is_none()
    {
        return;
    }
    if let Err(error) = app.notification().builder().title(title).body(body).show() {
        log::warn!("notification not shown: {error}");
    }
}

#[cfg(test)]
mod tests {
    use super::Notice;

    #[test]
    fn notifications_speak_both_languages() {
        let ready = Notice::Ready {
            account: "Acme",
            backup: "bk_1",
        };
        assert_eq!(ready.text(false).0, "Backup ready");
        assert_eq!(ready.text(true).0, "Backup pronto");
        let verified = Notice::Verified { path: "/d/a.zip" };
        assert!(verified.text(true).1.contains("/d/a.zip"));
        assert!(verified.text(true).1.contains("confere"));
    }
}
