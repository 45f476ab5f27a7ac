//! Declares the app's own commands so capabilities can grant them per window.

fn main() {
    let manifest = tauri_build::AppManifest::new().commands(&["app_info"]);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest))
        .expect("tauri-build failed: check tauri.conf.json, capabilities/ and icons/");
}
