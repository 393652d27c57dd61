//! Builds the Tauri context from the top-level `tauri.conf.json` and declares the app's commands,
//! so that the capability file can grant exactly these (`allow-<command>`) and nothing else.

/// Keep in step with `invoke_handler` in `src/lib.rs`.
const COMMANDS: &[&str] = &[
    "app_info",
    "choose_data_dir",
    "restart",
    "autostart_enabled",
    "set_autostart",
    "accounts",
    "ca_terms",
    "register_account",
    "import_account",
    "update_account_email",
    "export_account_key",
    "delete_account",
    "deactivate_account",
    "dns_providers",
    "dns_accounts",
    "save_dns_account",
    "delete_dns_account",
    "set_dns_account_enabled",
    "check_names",
    "create_request",
    "requests",
    "request",
    "verify",
    "new_challenge",
    "save_request",
    "certs",
    "cert_details",
    "history",
    "export_cert",
    "renew",
    "renew_due",
    "revoke",
    "delete_cert",
    "settings",
    "save_settings",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri-build failed: {e:#}");
    }
}
