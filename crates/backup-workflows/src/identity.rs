//! Who the app is, once for both front ends: its id (data folder and
//! keychain service), where an account's secrets live in the keychain, and
//! what counts as the built-in demo.

use std::path::PathBuf;

use backup_state::AccountRecord;

/// The app's identifier: its data folder name and its keychain service.
pub const APP_ID: &str = "app.backupdesk.desktop";

/// The provider address recorded for the built-in demo (its port changes
/// every run, so the real address is never stored).
pub const DEMO_URL: &str = "demo:built-in";

/// The setting that names this data folder's entries in the keychain: two
/// data folders (`--data-dir`) never share an account's secrets.
pub(crate) const KEYCHAIN_NAMESPACE: &str = "keychain_namespace";
/// Setting changed at every token write, so cached tokens are read again.
pub(crate) const TOKENS_CHANGED: &str = "tokens_changed";

/// The keychain scope of account `account` of the data folder whose
/// namespace is `namespace` ("" for a folder set up before namespaces).
pub(crate) fn keychain_scope(namespace: &str, account: i64) -> String {
    format!("acct-{namespace}{account}")
}

/// Whether `account` is the built-in demo.
pub fn is_demo(account: &AccountRecord) -> bool {
    account.provider_url == DEMO_URL
}

/// The platform's data folder of the app (`~/.local/share/app.backupdesk.desktop`…).
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_dir().map(|d| d.join(APP_ID))
}
