//! The commands the UI may invoke. Each unpacks state, calls one core
//! function and maps its error; none returns a key, passphrase or token.

use serde::Serialize;
use tauri::State;

/// The provider the app is connected to.
#[derive(Debug, Clone)]
pub struct ProviderConnection {
    /// What the window calls it ("Demo provider" for the built-in demo).
    pub label: String,
    /// Its API base URL (`http://127.0.0.1:PORT` for the demo).
    pub base_url: String,
}

/// What the window shows about the running app.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct AppInfo {
    pub name: String,
    pub version: String,
    /// The provider the app talks to; the built-in demo when no account is set up.
    pub provider: String,
}

/// Name and version of the app and the provider it is connected to.
#[tauri::command]
pub fn app_info(connection: State<'_, ProviderConnection>) -> AppInfo {
    AppInfo {
        name: "Backup Desk".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        provider: connection.label.clone(),
    }
}

#[cfg(test)]
mod tests {
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder, mock_context, noop_assets};
    use tauri::webview::InvokeRequest;

    #[test]
    fn app_info_answers_over_ipc_in_the_real_setup() {
        let app = crate::build_app(mock_builder())
            .manage(super::ProviderConnection {
                label: "Demo provider".into(),
                base_url: "http://127.0.0.1:9".into(),
            })
            .build(mock_context(noop_assets()))
            .expect("the app must build on the mock runtime");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("main window");
        let response = get_ipc_response(
            &webview,
            InvokeRequest {
                cmd: "app_info".into(),
                callback: tauri::ipc::CallbackFn(0),
                error: tauri::ipc::CallbackFn(1),
                url: "tauri://localhost".parse().expect("url"),
                body: tauri::ipc::InvokeBody::default(),
                headers: Default::default(),
                invoke_key: INVOKE_KEY.to_string(),
            },
        )
        .expect("app_info must succeed");
        let info: serde_json::Value = response.deserialize().expect("json");
        assert_eq!(info["name"], "Backup Desk");
        assert_eq!(info["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(
            info["provider"], "Demo provider",
            "no account configured → demo"
        );
    }
}
