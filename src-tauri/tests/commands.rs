//! Every Tauri command of the app, called the way the page calls it (through Tauri's IPC with
//! the app's real configuration and capability, on the mock runtime) against a real engine in a
//! fresh data folder, and against a real Pebble where the command talks to the CA.
//!
//! Run with the README's test command (`.ci/test`): the engine keeps its master key in the
//! Secret Service, which `.ci/test` provides. Only `restart` is not called: it ends the process.

// The shared fixtures name the CLI binary with `env!("CARGO_BIN_EXE_certdesk")`, which only the
// root package's tests define. The app's tests never run the CLI: give that one name a
// placeholder and leave every other `env!` to std.
macro_rules! env {
    ("CARGO_BIN_EXE_certdesk") => {
        "certdesk (the CLI is not built for the app's tests)"
    };
    ($name:expr) => {
        std::env!($name)
    };
}

// The app's tests use a few of the end-to-end fixtures; the rest is dead code here.
#[path = "../../tests/e2e/common/mod.rs"]
#[allow(dead_code, unused_imports)]
mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certdesk_app::datadir::Source;
use certdesk_app::AppState;
use common::{openssl, require_keychain, Http01, Pebble, TempDir};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, Manager, WebviewWindow, WebviewWindowBuilder};

/// The app as the window sees it: the real context and capability, a fresh data folder.
struct TestApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    dir: TempDir,
}

impl TestApp {
    fn new() -> Self {
        Self::with_source(Source::Default)
    }

    fn with_source(source: Source) -> Self {
        require_keychain();
        Self::over(TempDir::new("certdesk-app-test"), source)
    }

    /// The app over the data folder `dir/data`, made if it is not there yet.
    fn over(dir: TempDir, source: Source) -> Self {
        let data = dir.path().join("data");
        let state = tauri::async_runtime::block_on(AppState::open(data, source));
        assert!(state.open_error().is_none(), "{:?}", state.open_error());
        let app = certdesk_app::with_plugins(mock_builder())
            .manage(state)
            .invoke_handler(certdesk_app::invoke_handler())
            .build(certdesk_app::context())
            .expect("the app builds");
        // As the app's setup does.
        certdesk_app::progress::forward(app.handle());
        let window = app
            .get_webview_window("main")
            .unwrap_or_else(|| window(&app, "main"));
        Self {
            _app: app,
            window,
            dir,
        }
    }

    /// Calls `cmd` with `args` as the page does; `Err` is the serialized `CommandError`.
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window, cmd, args)
    }

    fn ok(&self, cmd: &str, args: Value) -> Value {
        self.call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd} failed: {e:#}"))
    }

    /// Calls `cmd`, expects an error and returns its message.
    fn err(&self, cmd: &str, args: Value) -> Value {
        match self.call(cmd, args) {
            Ok(v) => panic!("{cmd} should have failed, returned {v:#}"),
            Err(e) => e,
        }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }
}

fn window(app: &App<MockRuntime>, label: &str) -> WebviewWindow<MockRuntime> {
    WebviewWindowBuilder::new(app, label, Default::default())
        .build()
        .expect("a window")
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.into(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON"))
}

fn message(e: &Value) -> &str {
    e["message"].as_str().unwrap_or_default()
}

fn quiet_settings(app: &TestApp) {
    app.ok(
        "save_settings",
        json!({ "update": {
            "renew_days_before": 30, "notify_issued": false, "notify_failed": false,
            "notify_renewed": false, "http_listen": null,
            "smtp": { "host": "", "port": 587, "username": "", "from": "", "to": "", "starttls": true }
        }}),
    );
}

#[test]
fn the_window_may_call_the_apps_commands_and_nothing_else() {
    let app = TestApp::new();
    app.ok("app_info", json!({}));
    // A plugin command the capability does not grant.
    let refused = app.err("plugin:dialog|message", json!({ "message": "hi" }));
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    // The page may listen to the engine's progress, but not send events of its own.
    app.ok(
        "plugin:event|listen",
        json!({ "event": "progress", "target": { "kind": "Any" }, "handler": 7 }),
    );
    let refused = app.err(
        "plugin:event|emit",
        json!({ "event": "progress", "payload": { "request": "x", "stage": "issued" } }),
    );
    assert!(refused.to_string().contains("not allowed"), "{refused}");
    // Another window gets nothing: the capability names the main window only.
    let other = window(&app._app, "other");
    let refused = invoke(&other, "app_info", json!({})).expect_err("refused");
    assert!(refused.to_string().contains("not allowed"), "{refused}");
}

#[test]
fn app_info_gives_the_data_folder_and_the_forms_choices() {
    let app = TestApp::new();
    let info = app.ok("app_info", json!({}));
    assert!(info["data_dir"].as_str().unwrap().ends_with("data"));
    assert_eq!(info["data_dir_source"], "default");
    assert!(info["open_error"].is_null());
    assert_eq!(info["interrupted"], json!([]));
    let keys: Vec<&str> = info["choices"]["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["rsa2048", "rsa3072", "rsa4096", "p256", "p384"]);
    assert_eq!(info["choices"]["max_names"], 100);
}

/// The tables of the listings that show damaged records, as the page names each listing.
const LISTINGS: [&str; 5] = [
    "accounts",
    "requests",
    "certificates",
    "dns_accounts",
    "deployments",
];

#[test]
fn a_damaged_record_is_listed_with_what_failed_and_skipped_by_the_pass() {
    require_keychain();
    let dir = TempDir::new("certdesk-app-test");
    let data = dir.path().join("data");
    // A data folder made by the app, closed, then a record that does not parse written into
    // each listing's table, as a damaged disk or a hand edit leaves it.
    drop(tauri::async_runtime::block_on(AppState::open(
        data.clone(),
        Source::Default,
    )));
    let db = sled::open(data.join("store")).expect("the closed store opens");
    for table in LISTINGS {
        db.open_tree(table)
            .and_then(|t| t.insert(format!("bad-{table}"), &b"\x00\xffnot json"[..]))
            .expect("the damaged record is written");
    }
    // The damage reaches the certificate's view too, which the scheduler's pass reads.
    db.open_tree("certificate_views")
        .and_then(|t| t.insert("bad-certificates", &b"\x00\xffnot json"[..]))
        .expect("the damaged view is written");
    db.flush().expect("the store is written");
    drop(db);

    let app = TestApp::over(dir, Source::Default);
    for listed in LISTINGS {
        let damaged = app.ok("damaged", json!({ "listed": listed }));
        let damaged = damaged.as_array().expect("a list");
        assert_eq!(damaged.len(), 1, "{listed}: {damaged:?}");
        assert_eq!(damaged[0]["id"], format!("bad-{listed}"));
        let what = damaged[0]["damaged"].as_str().expect("what failed");
        assert!(
            what.contains(&format!("record in {listed} does not read")),
            "{listed}: {what}"
        );
    }
    // The listings themselves leave it out instead of failing.
    for cmd in [
        "accounts",
        "requests",
        "certs",
        "dns_accounts",
        "deployments",
    ] {
        assert_eq!(app.ok(cmd, json!({})), json!([]), "{cmd}");
    }
    // The scheduler's pass skips the damaged certificate and request, and says so.
    let pass = app.ok("renew_due", json!({}));
    assert_eq!(pass["outcomes"], json!([]), "{pass}");
    let skipped: Vec<&str> = pass["skipped"]
        .as_array()
        .expect("the skipped records")
        .iter()
        .map(|d| d["id"].as_str().expect("an id"))
        .collect();
    assert_eq!(skipped, ["bad-certificates", "bad-requests"], "{pass}");
    // The scheduler card's health says so too, until a pass finds them gone.
    let health = app.ok("renewal_health", json!({}));
    assert_eq!(health["skipped"], pass["skipped"], "{health}");
    // A listing the engine does not have is bad input, not a crash.
    let e = app.err("damaged", json!({ "listed": "settings" }));
    assert!(e.to_string().contains("settings"), "{e}");
}

#[test]
fn the_data_folder_set_by_the_environment_cannot_be_changed_in_the_window() {
    let app = TestApp::with_source(Source::Env);
    let e = app.err("choose_data_dir", json!({ "path": "/tmp/elsewhere" }));
    assert!(message(&e).contains("CERTDESK_DATA_DIR"), "{e}");
    let app = TestApp::new();
    let e = app.err("choose_data_dir", json!({ "path": "  " }));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("choose the data folder"), "{e}");
}

#[test]
fn start_at_login_can_be_switched_on_and_off() {
    let app = TestApp::new();
    let before = app.ok("autostart_enabled", json!({})).as_bool().unwrap();
    assert_eq!(
        app.ok("set_autostart", json!({ "enabled": true })),
        json!(true)
    );
    assert_eq!(app.ok("autostart_enabled", json!({})), json!(true));
    assert_eq!(
        app.ok("set_autostart", json!({ "enabled": false })),
        json!(false)
    );
    app.ok("set_autostart", json!({ "enabled": before }));
}

#[test]
fn settings_keep_the_smtp_password_sealed_and_say_only_that_it_is_set() {
    let app = TestApp::new();
    let defaults = app.ok("settings", json!({}));
    assert_eq!(
        defaults["renew_days_before"], 0,
        "0: ARI, else the lifetime rule"
    );
    assert_eq!(defaults["smtp"]["password_set"], false);
    let update = |days: u32, password: Value| {
        json!({ "update": {
            "renew_days_before": days, "notify_issued": true, "notify_failed": true,
            "notify_renewed": false, "http_listen": " 127.0.0.1:8080 ",
            "smtp": { "host": "smtp.example.com", "port": 587, "username": "certdesk",
                      "from": "certdesk@example.com", "to": "admin@example.com",
                      "starttls": true, "password": password }
        }})
    };
    let saved = app.ok(
        "save_settings",
        update(21, json!({ "action": "set", "value": "s3cret-smtp" })),
    );
    assert_eq!(saved["smtp"]["password_set"], true);
    assert_eq!(saved["http_listen"], "127.0.0.1:8080");
    assert!(!saved.to_string().contains("s3cret-smtp"));
    let again = app.ok("settings", json!({}));
    assert_eq!(again, saved);
    assert!(!again.to_string().contains("s3cret-smtp"));
    // Keeping leaves it set; clearing removes it.
    let kept = app.ok("save_settings", update(21, json!({ "action": "keep" })));
    assert_eq!(kept["smtp"]["password_set"], true);
    let cleared = app.ok("save_settings", update(21, json!({ "action": "clear" })));
    assert_eq!(cleared["smtp"]["password_set"], false);
    // Bad input comes back with the engine's message.
    let e = app.err("save_settings", update(398, json!({ "action": "keep" })));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("renew between 1 and 397 days"), "{e}");
}

#[test]
fn mail_commands_say_what_is_missing_and_the_old_starttls_flag_still_reads() {
    let app = TestApp::new();
    let e = app.err("send_test_mail", json!({}));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("no SMTP server is set"), "{e}");
    let e = app.err(
        "mail_cert",
        json!({ "id": "nope", "mail": { "to": "ops@example.com", "format": "pem" } }),
    );
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("no certificate named \"nope\""), "{e}");
    // A form of the older window sends `starttls: false`: no encryption.
    let saved = app.ok(
        "save_settings",
        json!({ "update": {
            "renew_days_before": 0, "notify_issued": true, "notify_failed": true,
            "notify_renewed": true, "http_listen": null,
            "smtp": { "host": "relay.example.com", "port": 25, "username": "",
                      "from": "certdesk@example.com", "to": "admin@example.com",
                      "starttls": false }
        }}),
    );
    assert_eq!(saved["smtp"]["security"], "none", "{saved}");
    assert_eq!(saved["smtp"]["digest"], false, "{saved}");
}

#[test]
fn dns_accounts_are_checked_against_the_providers_forms_and_never_show_secrets() {
    let app = TestApp::new();
    let providers = app.ok("dns_providers", json!({}));
    let rfc2136 = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "rfc2136")
        .expect("rfc2136 is offered");
    assert!(rfc2136["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "key_secret" && f["secret"] == true));
    assert_eq!(app.ok("dns_accounts", json!({})), json!([]));
    let form = |secret: &str| {
        json!({ "form": { "name": "bind", "kind": "rfc2136", "enabled": true,
            "fields": { "server": "127.0.0.1:53", "key_name": "k", "algorithm": "hmac-sha256" },
            "secrets": { "key_secret": { "action": "set", "value": secret } } } })
    };
    let e = app.err("save_dns_account", form("not base64!"));
    assert!(message(&e).contains("is not base64"), "{e}");
    let saved = app.ok("save_dns_account", form("c2VjcmV0"));
    assert_eq!(saved["secrets_set"], json!(["key_secret"]));
    assert!(!saved.to_string().contains("c2VjcmV0"), "{saved}");
    let e = app.err(
        "save_dns_account",
        json!({ "form": { "name": "zone", "kind": "nowhere", "enabled": true } }),
    );
    assert!(message(&e).contains("unknown DNS provider"), "{e}");
    let off = app.ok(
        "set_dns_account_enabled",
        json!({ "name": "bind", "enabled": false }),
    );
    assert_eq!(off["enabled"], false);
    let e = app.err("delete_dns_account", json!({ "name": "zone" }));
    assert!(message(&e).contains("no DNS account named"), "{e}");
    app.ok("delete_dns_account", json!({ "name": "bind" }));

    // Each of them is the window's, in the log, done or refused.
    let log = app.ok("activity_log", json!({ "filter": {} }));
    let logged: Vec<(&str, &str, &str)> = log["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or(""),
                e["face"].as_str().unwrap_or(""),
                e["outcome"]["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("add_dns_account", "window", "failed"),
            ("add_dns_account", "window", "ok"),
            ("add_dns_account", "window", "failed"),
            ("disable_dns_account", "window", "ok"),
            ("delete_dns_account", "window", "failed"),
            ("delete_dns_account", "window", "ok"),
        ],
        "{log:#}"
    );
}

#[test]
fn agent_commands_check_the_address_and_say_when_no_agent_answers() {
    let app = TestApp::new();
    assert_eq!(app.ok("agents", json!({})), json!([]));
    let e = app.err("agent_fingerprint", json!({"url": "http://web1:8443"}));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("https://HOST:PORT"), "{e}");
    let url = format!("https://127.0.0.1:{}", common::free_port());
    let e = app.err(
        "pair_agent",
        json!({"name": "web1", "url": url, "fingerprint": "AB:CD"}),
    );
    assert!(message(&e).contains("SHA-256 fingerprint"), "{e}");
    let e = app.err("agent_fingerprint", json!({ "url": url }));
    assert_eq!(e["kind"], "remote");
    assert!(message(&e).contains("is certdesk-agent running"), "{e}");
    let e = app.err("remove_agent", json!({"name": "web1"}));
    assert_eq!(e["kind"], "input");
    assert_eq!(app.ok("agents", json!({})), json!([]));
}

#[test]
fn the_agent_package_is_written_where_the_page_says() {
    // Beside this test binary's folder (target/debug/deps) cargo builds the workspace's agent.
    let exe = std::env::current_exe().unwrap();
    let agent = exe.parent().unwrap().with_file_name("certdesk-agent");
    std::env::set_var("CERTDESK_AGENT_BINARY", &agent);
    let app = TestApp::new();
    let dir = common::TempDir::new("certdesk-package");
    let path = dir.path().join("agent.tar.gz");
    let written = app.ok("agent_package", json!({ "path": path }));
    assert_eq!(written["path"], json!(path));
    assert_eq!(
        written["size"].as_u64(),
        Some(std::fs::metadata(&path).unwrap().len())
    );
    assert_eq!(written["binary_sha256"].as_str().map(str::len), Some(64));
    let e = app.err("agent_package", json!({ "path": dir.path() }));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("is a folder"), "{e}");

    // The install steps show the package's examples, each a JSON configuration.
    let examples = app.ok("agent_examples", json!({}));
    let files: Vec<&str> = examples
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["agent.json.example", "agent-iis.json.example"]);
    for example in examples.as_array().unwrap() {
        let config: serde_json::Value =
            serde_json::from_str(example["config"].as_str().unwrap()).unwrap();
        assert!(config["listen"].is_string(), "{example}");
    }
}

#[test]
fn the_name_check_lists_every_rejected_name_with_the_engines_reason() {
    let app = TestApp::new();
    let check = app.ok(
        "check_names",
        json!({ "text": "Example.COM,\nlocalhost *.x.example.com", "challenge": "http-01" }),
    );
    assert_eq!(check["count"], 3);
    let errors = check["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{check}");
    assert_eq!(errors[0]["name"], "localhost");
    assert!(errors[1]["reason"].as_str().unwrap().contains("dns-01"));
    let check = app.ok(
        "check_names",
        json!({ "text": "Example.COM, *.x.example.com", "challenge": "dns-01" }),
    );
    assert_eq!(check["names"], json!(["example.com", "*.x.example.com"]));
    let check = app.ok("check_names", json!({ "text": " ", "challenge": "dns-01" }));
    assert_eq!(check["count"], 0);
    assert!(check["message"]
        .as_str()
        .unwrap()
        .contains("no domain names"));
}

/// Publishes every http-01 token of a request through challtestsrv, as a web server would.
fn publish(pebble: &Pebble, request: &Value) {
    for c in request["challenges"].as_array().unwrap() {
        pebble.add_http01(
            c["token"].as_str().unwrap(),
            c["key_authorization"].as_str().unwrap(),
        );
    }
}

fn write(path: &str, text: &str) -> String {
    std::fs::write(path, text).expect("write");
    path.to_owned()
}

#[test]
fn a_certificate_file_is_imported_as_tracked_and_not_renewed() {
    let app = TestApp::new();
    let (key, cert) = (app.path("site.key"), app.path("site.pem"));
    common::self_signed("/CN=tracked.example.com", Path::new(&key), Path::new(&cert));
    let read = |p: &str| std::fs::read_to_string(p).expect("read");
    let bundle = write(
        &app.path("bundle.pem"),
        &format!("{}{}", read(&cert), read(&key)),
    );
    let imported = app.ok(
        "import_cert",
        json!({ "path": bundle, "password": "", "label": "Appliance" }),
    );
    assert_eq!(imported["origin"]["kind"], "tracked", "{imported:#}");
    assert_eq!(imported["origin"]["label"], "Appliance");
    assert_eq!(imported["private_key"], true);
    let id = imported["id"].as_str().expect("id");
    let details = app.ok("cert_details", json!({ "id": id }));
    assert_eq!(details["origin"]["kind"], "tracked");
    assert!(details["subject"]
        .as_str()
        .unwrap_or_default()
        .contains("tracked.example.com"));
    let e = app.err("renew", json!({ "id": id }));
    assert!(message(&e).contains("is tracked"), "{e:#}");
    // Replace with ACME: its common name (it has no SANs) and its P-256 key fill the form.
    let replacement = app.ok("cert_replacement", json!({ "id": id }));
    assert_eq!(
        replacement,
        json!({ "names": ["tracked.example.com"], "key": "p256" })
    );

    let e = app.err(
        "import_cert",
        json!({ "path": app.path("bundle.pem"), "password": "secret", "label": null }),
    );
    assert!(message(&e).contains("leave the password out"), "{e:#}");
    let e = app.err(
        "import_cert",
        json!({ "path": " ", "password": null, "label": null }),
    );
    assert!(message(&e).contains("choose the certificate file"), "{e:#}");
    let listed = app.ok("certs", json!({}));
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed:#}");
}

#[test]
fn accounts_requests_and_certificates_through_their_whole_life_against_pebble() {
    let pebble = Pebble::builder().http01(Http01::Challtestsrv).start();
    let app = TestApp::new();
    quiet_settings(&app);
    let root = write(
        &app.path("pebble-root.pem"),
        &std::fs::read_to_string(pebble.ca_root_path()).expect("read Pebble's root"),
    );
    let ca = json!({ "kind": "directory", "url": pebble.directory_url() });

    // Account: terms, refusals with the engine's words, registration.
    let terms = app.ok("ca_terms", json!({ "ca": ca, "caRootPath": root }));
    assert!(terms["terms_of_service"].as_str().is_some(), "{terms}");
    let register = |email: &str, agree: bool| {
        json!({ "form": { "name": "pebble", "email": email, "ca": ca,
                          "ca_root_path": root, "agree_tos": agree } })
    };
    let e = app.err("register_account", register("nobody", true));
    assert!(
        message(&e).contains("e-mail address \"nobody\" is not valid"),
        "{e}"
    );
    let e = app.err("register_account", register("admin@example.com", false));
    assert!(message(&e).contains("terms of service"), "{e}");
    let e = app.err(
        "register_account",
        json!({ "form": { "name": "pebble", "email": "admin@example.com", "ca": ca,
                          "ca_root_path": root, "eab_kid": "kid", "agree_tos": true } }),
    );
    assert!(
        message(&e).contains("both the key id and the HMAC key"),
        "{e}"
    );
    let account = app.ok("register_account", register("admin@example.com", true));
    assert_eq!(account["status"], "active");
    assert_eq!(app.ok("accounts", json!({}))[0]["name"], "pebble");
    let updated = app.ok(
        "update_account_email",
        json!({ "name": "pebble", "email": "ops@example.com" }),
    );
    assert_eq!(updated["email"], "ops@example.com");
    let key_path = app.path("account-key.pem");
    app.ok(
        "export_account_key",
        json!({ "name": "pebble", "path": key_path }),
    );
    assert_mode_0600(&key_path);
    assert!(std::fs::read_to_string(&key_path)
        .unwrap()
        .contains("PRIVATE KEY"));

    // A request: bad input first, then one for two names with a PKCS#12 keystore.
    let request = |names: &str, password: &str| {
        json!({ "form": { "names": names, "key": "p256", "keystore": "pkcs12",
                          "keystore_password": password, "key_policy": "new",
                          "challenge": "http-01" } })
    };
    // Pebble is a private CA to certdesk: internal names pass there, bad syntax never does.
    let e = app.err(
        "create_request",
        request("bad_name.example.com, ok.example.com", "changeit1"),
    );
    assert_eq!(e["names"][0]["name"], "bad_name.example.com", "{e}");
    let e = app.err("create_request", request("ok.example.com", "abc"));
    assert!(message(&e).contains("too short"), "{e}");
    let pending = app.ok(
        "create_request",
        request("a.example.com, b.example.com", "changeit1"),
    );
    assert_eq!(pending["status"], "pending");
    assert!(!pending.to_string().contains("changeit1"));
    let id = pending["id"].as_str().unwrap().to_owned();
    assert_eq!(app.ok("requests", json!({}))[0]["id"], id);
    assert_eq!(app.ok("request", json!({ "id": id }))["status"], "pending");

    // A fallback CA account must be another registered account; none takes it away.
    let fallback = |account: Value| json!({ "id": id, "account": account });
    let e = app.err("set_fallback", fallback(json!("pebble")));
    assert!(
        message(&e).contains("must be an account at another CA"),
        "{e}"
    );
    let e = app.err(
        "set_fallback",
        fallback(json!("https://acme.example.org/directory")),
    );
    assert!(
        message(&e).contains("register one at the fallback CA first"),
        "{e}"
    );
    let none = app.ok("set_fallback", fallback(Value::Null));
    assert_eq!(none["fallback_account"], Value::Null, "{none}");

    // Verify with the tokens published, save, look at it. The window hears each stage.
    let heard = Arc::new(Mutex::new(Vec::<Value>::new()));
    let sink = heard.clone();
    app.window.listen("progress", move |event| {
        sink.lock()
            .unwrap()
            .push(serde_json::from_str(event.payload()).expect("JSON"));
    });
    publish(&pebble, &pending);
    let available = app.ok("verify", json!({ "id": id, "useResponder": false }));
    assert_eq!(available["status"], "available");
    let stages = |heard: &Mutex<Vec<Value>>| -> Vec<String> {
        let heard = heard.lock().unwrap();
        heard
            .iter()
            .filter(|p| p["request"] == id.as_str())
            .map(|p| p["stage"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while !stages(&heard).contains(&"issued".to_owned()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        stages(&heard),
        [
            "answering",
            "validating",
            "finalizing",
            "downloading",
            "issued"
        ],
        "{heard:?}"
    );
    let saved = app.ok("save_request", json!({ "id": id }));
    assert_eq!(saved["names"], json!(["a.example.com", "b.example.com"]));
    assert_eq!(app.ok("certs", json!({})).as_array().unwrap().len(), 1);
    let details = app.ok("cert_details", json!({ "id": id }));
    assert!(!details["chain"].as_array().unwrap().is_empty());
    assert_eq!(details["request"]["keystore"], "pkcs12");
    assert!(!details.to_string().contains("PRIVATE KEY"));
    let e = app.err("cert_replacement", json!({ "id": id }));
    assert!(
        message(&e).contains("was issued by certdesk: renew it instead"),
        "{e:#}"
    );

    // Export with the stored password and with a new one; OpenSSL 3 opens both without -legacy.
    let stored = app.path("stored.p12");
    app.ok(
        "export_cert",
        json!({ "id": id, "format": "pkcs12", "password": null, "path": stored }),
    );
    openssl([
        "pkcs12",
        "-in",
        &stored,
        "-noout",
        "-passin",
        "pass:changeit1",
    ]);
    let exported = app.path("exported.p12");
    app.ok(
        "export_cert",
        json!({ "id": id, "format": "pkcs12", "password": "exportpw1", "path": exported }),
    );
    assert_mode_0600(&exported);
    openssl([
        "pkcs12",
        "-in",
        &exported,
        "-noout",
        "-passin",
        "pass:exportpw1",
    ]);
    let e = app.err(
        "export_cert",
        json!({ "id": id, "format": "pem", "password": "x", "path": app.path("x.pem") }),
    );
    assert!(message(&e).contains("not encrypted"), "{e}");

    // Renew: without the built-in responder the renewal waits for its challenges.
    let renewing = app.ok("renew", json!({ "id": id }));
    assert_eq!(renewing["status"], "pending");
    publish(&pebble, &renewing);
    let renewed = app.ok("verify", json!({ "id": id, "useResponder": false }));
    assert_eq!(renewed["status"], "renewed");
    assert_eq!(
        app.ok("history", json!({ "id": id }))
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Pebble's certificates last years: nothing is inside the 30-day window.
    assert_eq!(app.ok("renew_due", json!({}))["outcomes"], json!([]));

    // Revoke with a reason; Pebble agrees.
    let serial = app.ok("cert_details", json!({ "id": id }))["serial"]
        .as_str()
        .unwrap()
        .to_owned();
    let e = app.err("revoke", json!({ "id": id, "reason": "because" }));
    assert!(e.to_string().contains("because"), "{e}");
    let revoked = app.ok("revoke", json!({ "id": id, "reason": "keyCompromise" }));
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(pebble.cert_status(&serial)["Status"], "Revoked");
    let deleted = app.ok("delete_cert", json!({ "id": id }));
    assert_eq!(deleted["id"], id);
    assert_eq!(app.ok("certs", json!({})), json!([]));

    // A failed validation brings the CA's problem whole; New challenge starts over.
    let unpublished = app.ok("create_request", request("c.example.com", "changeit1"));
    let failed_id = unpublished["id"].as_str().unwrap().to_owned();
    let e = app.err("verify", json!({ "id": failed_id, "useResponder": false }));
    assert_eq!(e["kind"], "remote", "{e}");
    assert!(e["problem"]["type"].as_str().is_some(), "{e}");
    let failed = app.ok("request", json!({ "id": failed_id }));
    assert_eq!(failed["status"], "failed");
    assert!(failed["problem"].is_object());
    let fresh = app.ok("new_challenge", json!({ "id": failed_id }));
    assert_eq!(fresh["status"], "pending");

    // Accounts: delete here, add back from the key, deactivate with a typed confirmation.
    app.ok("delete_account", json!({ "name": "pebble" }));
    assert_eq!(app.ok("accounts", json!({})), json!([]));
    let e = app.err(
        "import_account",
        json!({ "form": { "name": "back", "key_path": "", "ca": ca, "ca_root_path": root } }),
    );
    assert!(message(&e).contains("choose the account key file"), "{e}");
    let back = app.ok(
        "import_account",
        json!({ "form": { "name": "back", "key_path": key_path, "ca": ca, "ca_root_path": root } }),
    );
    assert_eq!(back["url"], account["url"]);
    let e = app.err(
        "deactivate_account",
        json!({ "name": "back", "confirmation": "yes" }),
    );
    assert!(message(&e).contains("type the account's name"), "{e}");
    let gone = app.ok(
        "deactivate_account",
        json!({ "name": "back", "confirmation": "back" }),
    );
    assert_eq!(gone["status"], "deactivated");
}

fn assert_mode_0600(path: &str) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(Path::new(path))
        .expect("exported file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{path}");
}

#[test]
fn deploy_mappings_are_drawn_from_data_checked_and_keep_their_secrets_sealed() {
    let app = TestApp::new();
    let kinds = app.ok("deploy_kinds", json!({}));
    let ssh = kinds
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == "ssh")
        .expect("the ssh kind");
    assert!(ssh["fields"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["name"] == "host_key_sha256"));

    let form = |secrets: Value| {
        json!({ "form": {
            "name": "web1", "kind": "ssh",
            "fields": { "host": "web1.example.com", "user": "deploy" },
            "secrets": secrets
        }})
    };
    let e = app.err("save_deployment", form(json!({})));
    assert_eq!(e["kind"], "input");
    assert!(message(&e).contains("password or private_key"), "{e}");

    let saved = app.ok(
        "save_deployment",
        form(json!({ "password": { "action": "set", "value": "s3cret" } })),
    );
    assert_eq!(saved["secrets_set"], json!(["password"]));
    assert!(saved["fields"].get("password").is_none(), "{saved}");
    let listed = app.ok("deployments", json!({}));
    assert_eq!(listed[0]["name"], "web1");
    assert!(listed[0].get("last_deploy").is_none());
    let e = app.err("deploy_now", json!({ "name": "web1", "cert": "nope" }));
    assert_eq!(e["kind"], "input");
    app.ok("delete_deployment", json!({ "name": "web1" }));
    assert_eq!(app.ok("deployments", json!({})), json!([]));
}
