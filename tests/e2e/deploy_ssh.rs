//! Deployment to a Linux end server over SSH, against a real OpenSSH server and a real nginx on
//! loopback: Pebble validates http-01 through nginx with the token certdesk uploaded over SFTP,
//! certdesk installs the certificate, reloads nginx, and a TLS handshake (openssl s_client) sees
//! the new serial; renewals deploy again; a changed host key is refused; a failing reload puts
//! the previous certificate back; the first version's files restored behind certdesk's back are
//! drift to an endpoint check until deployed again. dns-01, wildcards included, through the mapping's DNS command
//! run on the end server, writing to a real BIND that Pebble resolves through.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};

use crate::common::bind::Bind;
use crate::common::nginx::{normalize_serial, Nginx};
use crate::common::sshd::{ClientKey, Sshd};
use crate::common::{dns_request, register, Certdesk, Create, Pebble};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

const NAME: &str = "deploy.example.com";

/// The mapping's configuration for `sshd` and `nginx`, with `extra` fields on top.
fn config(sshd: &Sshd, nginx: &Nginx, extra: Value) -> Value {
    let mut config = json!({
        "host": "127.0.0.1",
        "port": sshd.port(),
        "user": sshd.user(),
        "private_key": sshd.client_key(),
        "webroot": nginx.webroot(),
        "files": [
            {"path": nginx.cert_path(), "format": "fullchain", "mode": "0644"},
            {"path": nginx.key_path(), "format": "key"},
        ],
        "reload_command": nginx.reload_command(),
        "check": nginx.https_addr(),
    });
    for (k, v) in extra.as_object().expect("object") {
        config[k] = v.clone();
    }
    config
}

fn add_mapping(cd: &Certdesk, name: &str, config: &Value) -> common::Output {
    let path = cd.dir().join(format!("{name}.json"));
    fs::write(&path, config.to_string()).expect("write config");
    let out = cd.run([
        "--json",
        "deploy",
        "add",
        "--name",
        name,
        "--kind",
        "ssh",
        "--config",
        path.to_str().expect("UTF-8"),
    ]);
    fs::remove_file(&path).expect("remove config");
    out
}

/// Adds the mapping and pins the host key the way an administrator does: test, compare, accept.
fn add_pinned(cd: &Certdesk, sshd: &Sshd, name: &str, config: &Value) {
    add_mapping(cd, name, config).assert_success();
    let probe = cd.json(["deploy", "test", name]);
    assert_eq!(
        probe["unpinned"]["value"],
        sshd.host_key_sha256(),
        "{probe:#}"
    );
    let probe = cd.json(["deploy", "test", name, "--accept-host-key"]);
    assert!(probe.get("unpinned").is_none(), "{probe:#}");
    assert!(
        probe["summary"]
            .as_str()
            .expect("summary")
            .contains("host key pinned"),
        "{probe:#}"
    );
    let shown = cd.json(["deploy", "show", name]);
    assert_eq!(shown["fields"]["host_key_sha256"], sshd.host_key_sha256());
}

/// Creates an http-01 request for [`NAME`] that deploys through `mapping` automatically.
fn request(cd: &Certdesk, mapping: &str) -> String {
    let created = cd.json(Create::new(&[NAME], "http-01"));
    let id = created["id"].as_str().expect("id").to_owned();
    let set = cd.json(["request", "set-deploy", &id, mapping, "--auto"]);
    assert_eq!(set["deploy"], mapping);
    assert_eq!(set["auto_deploy"], true);
    id
}

fn current_serial(cd: &Certdesk, id: &str) -> String {
    normalize_serial(
        cd.json(["cert", "show", id])["serial"]
            .as_str()
            .expect("serial"),
    )
}

fn file_serial(path: &Path) -> String {
    normalize_serial(&common::openssl([
        "x509",
        "-noout",
        "-serial",
        "-in",
        path.to_str().expect("UTF-8"),
    ]))
}

fn tokens_left(nginx: &Nginx) -> Vec<String> {
    match fs::read_dir(nginx.webroot().join(".well-known/acme-challenge")) {
        Ok(dir) => dir
            .map(|e| {
                e.expect("dir entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn issues_through_nginx_deploys_over_ssh_and_deploys_every_renewal() {
    let sshd = Sshd::start();
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let cd = Certdesk::new();
    register(&cd, &pebble);
    add_pinned(&cd, &sshd, "web1", &config(&sshd, &nginx, json!({})));
    let before = nginx.served_serial(NAME);

    let id = request(&cd, "web1");
    let verified = cd.run(["--json", "request", "verify", &id]);
    verified.assert_success();
    let first = current_serial(&cd, &id);
    assert_ne!(first, before);
    nginx.wait_served(NAME, &first);
    assert_eq!(file_serial(&nginx.cert_path()), first);
    assert!(tokens_left(&nginx).is_empty(), "{:?}", tokens_left(&nginx));
    // The self-signed certificate nginx had is kept as the backup.
    let backup = nginx.cert_path().with_extension("pem.bak");
    assert_eq!(file_serial(&backup), before);
    let key_mode = fs::metadata(nginx.key_path()).expect("key").permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&key_mode) & 0o777,
        0o600
    );

    let listed = cd.json(["deploy", "list"]);
    let last = &listed[0]["last_deploy"];
    assert_eq!(last["ok"], true, "{listed:#}");
    assert_eq!(last["cert"], id.as_str());
    assert!(
        last["message"].as_str().expect("message").contains(&first),
        "{listed:#}"
    );

    cd.run(["--json", "cert", "renew", &id]).assert_success();
    let second = current_serial(&cd, &id);
    assert_ne!(second, first);
    nginx.wait_served(NAME, &second);
    assert_eq!(file_serial(&backup), first);
    assert!(tokens_left(&nginx).is_empty());

    // The secrets are in the keychain, not in what the data folder shows or holds.
    let shown = cd.json(["deploy", "show", "web1"]);
    assert!(shown["fields"].get("private_key").is_none(), "{shown:#}");
    assert_eq!(shown["secrets_set"], json!(["private_key"]));
    let key = sshd.client_key();
    let secret_line = key.lines().nth(2).expect("key body");
    assert!(!data_folder_holds(cd.data_dir(), secret_line.as_bytes()));
}

/// Whether any file under `dir` contains `needle`.
fn data_folder_holds(dir: &Path, needle: &[u8]) -> bool {
    fs::read_dir(dir).expect("read data folder").any(|entry| {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            data_folder_holds(&path, needle)
        } else {
            let bytes = fs::read(&path).expect("read data file");
            bytes.windows(needle.len()).any(|w| w == needle)
        }
    })
}

#[test]
fn a_key_with_a_passphrase_logs_in_and_bad_mappings_are_refused_with_reasons() {
    let sshd = Sshd::start();
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let cd = Certdesk::new();
    let key = sshd.authorize_new_key(ClientKey {
        key_type: "ed25519",
        pem: false,
        passphrase: "correct horse",
    });

    let wrong = json!({"private_key": key, "passphrase": "wrong horse"});
    let out = add_mapping(&cd, "web1", &config(&sshd, &nginx, wrong));
    out.assert_code(1);
    assert!(out.stderr.contains("private_key cannot be read"), "{out}");

    let unknown = json!({"hostname": "web1"});
    let out = add_mapping(&cd, "web1", &config(&sshd, &nginx, unknown));
    out.assert_code(1);
    assert!(
        out.stderr.contains("has no field \"hostname\"") && out.stderr.contains("reload_command"),
        "{out}"
    );

    let files = json!({"files": [{"path": "/etc/ssl/site.pem", "format": "pem"}]});
    let out = add_mapping(&cd, "web1", &config(&sshd, &nginx, files));
    out.assert_code(1);
    assert!(
        out.stderr.contains("cert|chain|fullchain|key|pkcs12|jks"),
        "{out}"
    );

    let right = json!({"private_key": key, "passphrase": "correct horse"});
    add_pinned(&cd, &sshd, "web1", &config(&sshd, &nginx, right));
    let shown = cd.json(["deploy", "show", "web1"]);
    assert_eq!(shown["secrets_set"], json!(["passphrase", "private_key"]));
}

#[test]
fn rsa_host_and_login_keys_work_in_openssh_and_pem_form() {
    let sshd = Sshd::start_with_host_key("rsa");
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let cd = Certdesk::new();

    let pem = sshd.authorize_new_key(ClientKey {
        key_type: "rsa",
        pem: true,
        passphrase: "",
    });
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"), "{pem}");
    // add_pinned logs in and pins the server's RSA host key by the fingerprint ssh-keygen prints.
    add_pinned(
        &cd,
        &sshd,
        "web-pem",
        &config(&sshd, &nginx, json!({"private_key": pem})),
    );

    let openssh = sshd.authorize_new_key(ClientKey {
        key_type: "rsa",
        pem: false,
        passphrase: "correct horse",
    });
    let rsa = json!({"private_key": openssh, "passphrase": "correct horse"});
    add_pinned(&cd, &sshd, "web-rsa", &config(&sshd, &nginx, rsa));
    let probe = cd.json(["deploy", "test", "web-rsa"]);
    assert!(
        probe["summary"]
            .as_str()
            .expect("summary")
            .contains(&format!("logged in to 127.0.0.1:{} as", sshd.port())),
        "{probe:#}"
    );
}

#[test]
fn a_changed_host_key_is_refused_and_an_unpinned_one_is_not_used() {
    let mut sshd = Sshd::start();
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let cd = Certdesk::new();
    register(&cd, &pebble);
    add_mapping(&cd, "web1", &config(&sshd, &nginx, json!({}))).assert_success();

    // Unpinned: a request cannot publish through the mapping yet, and says how to pin.
    let id = request(&cd, "web1");
    let out = cd.run(["request", "verify", &id]);
    out.assert_code(1);
    assert!(
        out.stderr.contains("is not pinned yet") && out.stderr.contains("--accept-host-key"),
        "{out}"
    );

    cd.run(["deploy", "test", "web1", "--accept-host-key"])
        .assert_success();
    let pinned = sshd.host_key_sha256();
    sshd.replace_host_key();
    assert_ne!(sshd.host_key_sha256(), pinned);

    let out = cd.run(["deploy", "test", "web1", "--accept-host-key"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("has CHANGED")
            && out.stderr.contains(&pinned)
            && out.stderr.contains(&sshd.host_key_sha256()),
        "{out}"
    );
    // Nothing was re-pinned.
    let shown = cd.json(["deploy", "show", "web1"]);
    assert_eq!(shown["fields"]["host_key_sha256"], pinned.as_str());
    assert!(tokens_left(&nginx).is_empty());
}

/// Uploads left under their temporary name beside the certificate files.
fn staged_leftovers(nginx: &Nginx) -> Vec<String> {
    fs::read_dir(nginx.cert_path().parent().expect("certs"))
        .expect("certs folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".certdesk-new"))
        .collect()
}

/// `mount --bind PATH PATH` until dropped: renaming over PATH then fails (EBUSY), as it does on
/// a server where a container bind-mounts the file.
struct BindMount(PathBuf);

impl BindMount {
    fn over(path: &Path) -> BindMount {
        let path_text = path.to_str().expect("UTF-8");
        common::tool("mount", ["--bind", path_text, path_text]);
        BindMount(path.to_owned())
    }
}

impl Drop for BindMount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

/// A certificate issued through mapping `web1` and deployed to nginx by it.
struct Served {
    _sshd: Sshd,
    _pebble: Pebble,
    nginx: Nginx,
    cd: Certdesk,
    id: String,
    /// The serial nginx serves.
    serial: String,
}

fn issued_and_deployed() -> Served {
    let sshd = Sshd::start();
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let cd = Certdesk::new();
    register(&cd, &pebble);
    add_pinned(&cd, &sshd, "web1", &config(&sshd, &nginx, json!({})));
    let id = request(&cd, "web1");
    cd.run(["request", "verify", &id]).assert_success();
    let serial = current_serial(&cd, &id);
    nginx.wait_served(NAME, &serial);
    Served {
        _sshd: sshd,
        _pebble: pebble,
        nginx,
        cd,
        id,
        serial,
    }
}

#[test]
fn a_rename_failing_midway_puts_back_the_files_renamed_before_it() {
    // Every field bound: the servers stop when their fixtures drop.
    let Served {
        _sshd,
        _pebble,
        nginx,
        cd,
        id,
        serial: deployed,
    } = issued_and_deployed();
    let key_before = fs::read(nginx.key_path()).expect("key file");

    // The certificate is renamed into place first; then the key's rename fails.
    let mount = BindMount::over(&nginx.key_path());
    let out = cd.run(["cert", "renew", &id]);
    out.assert_code(2);
    let renewed = current_serial(&cd, &id);
    assert_ne!(renewed, deployed);
    assert!(
        out.stderr.contains("installing the files exited")
            && out.stderr.contains("Device or resource busy")
            && out.stderr.contains("previous files are back in place"),
        "{out}"
    );
    // Certificate and key still match: the old pair, on disk and served.
    assert_eq!(file_serial(&nginx.cert_path()), deployed);
    assert_eq!(fs::read(nginx.key_path()).expect("key file"), key_before);
    assert_eq!(nginx.served_serial(NAME), deployed);
    assert!(staged_leftovers(&nginx).is_empty());

    drop(mount);
    cd.run(["deploy", "run", "web1", "--cert", &id])
        .assert_success();
    nginx.wait_served(NAME, &renewed);
}

#[test]
fn a_failing_reload_restores_the_previous_certificate() {
    let Served {
        _sshd: sshd,
        _pebble,
        nginx,
        cd,
        id,
        serial: deployed,
    } = issued_and_deployed();

    // A file that cannot be installed as asked changes nothing and leaves no upload behind.
    let owner = json!({"files": [
        {"path": nginx.cert_path(), "format": "fullchain", "owner": "no-such-user-certdesk"},
    ]});
    add_pinned(&cd, &sshd, "badowner", &config(&sshd, &nginx, owner));
    let out = cd.run(["deploy", "run", "badowner", "--cert", &id]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("preparing the files exited") && out.stderr.contains("chown"),
        "{out}"
    );
    assert_eq!(file_serial(&nginx.cert_path()), deployed);
    assert!(staged_leftovers(&nginx).is_empty());

    let broken = json!({"reload_command": "echo 'nginx: configuration test failed' >&2; exit 3"});
    add_pinned(&cd, &sshd, "broken", &config(&sshd, &nginx, broken));
    cd.json(["request", "set-deploy", &id, "broken", "--auto"]);
    let out = cd.run(["cert", "renew", &id]);
    out.assert_code(2);
    let renewed = current_serial(&cd, &id);
    assert_ne!(renewed, deployed);
    assert!(
        out.stderr.contains("exited with status 3")
            && out.stderr.contains("configuration test failed")
            && out.stderr.contains("previous files are back in place")
            && out.stderr.contains("certdesk deploy run broken --cert"),
        "{out}"
    );
    // The server keeps serving, and keeps on disk, the certificate it had.
    assert_eq!(nginx.served_serial(NAME), deployed);
    assert_eq!(file_serial(&nginx.cert_path()), deployed);

    let shown = cd.json(["deploy", "show", "broken"]);
    assert_eq!(shown["last_deploy"]["ok"], false, "{shown:#}");

    // Once the cause is fixed, deploying by hand installs the renewed certificate.
    let out = cd.run(["--json", "deploy", "run", "web1", "--cert", &id]);
    out.assert_success();
    nginx.wait_served(NAME, &renewed);
}

/// A mapping that only answers dns-01: the login and the DNS command the end server runs, and
/// the test BIND to check the propagation at.
fn dns_config(sshd: &Sshd, bind: &Bind, dns_command: &str) -> Value {
    json!({
        "host": "127.0.0.1",
        "port": sshd.port(),
        "user": sshd.user(),
        "private_key": sshd.client_key(),
        "dns_command": dns_command,
        "nameservers": [bind.addr()],
        "propagation_timeout": "30",
    })
}

#[test]
fn the_dns_command_on_the_end_server_answers_dns01_for_a_wildcard_and_every_renewal() {
    let bind = Bind::start(&["example.org"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let sshd = Sshd::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    // The script lives on the end server (sshd runs on this machine), as an admin would put it.
    let hook = bind.hook_script(sshd.dir(), None);
    add_pinned(&cd, &sshd, "dns1", &dns_config(&sshd, &bind, &hook));
    let shown = cd.json(["deploy", "show", "dns1"]);
    let how = shown["dns01"].as_str().expect("the mapping answers dns-01");
    assert!(how.contains(&hook), "{shown:#}");

    let id = dns_request(&cd, &["example.org", "*.example.org"]);
    let set = cd.json(["request", "set-deploy", &id, "dns1"]);
    assert!(
        set["next_step"]
            .as_str()
            .expect("next step")
            .contains("mapping \"dns1\" publishes the TXT records"),
        "{set:#}"
    );
    let verified = cd.json(["request", "verify", &id]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    // A wildcard and its base name share one TXT name: two values, each presented over SSH and
    // removed again once Pebble had looked.
    assert_eq!(
        Bind::hook_calls(sshd.dir()),
        [
            "present _acme-challenge.example.org",
            "present _acme-challenge.example.org",
            "cleanup _acme-challenge.example.org",
            "cleanup _acme-challenge.example.org",
        ]
    );
    assert!(bind.txt("_acme-challenge.example.org").is_empty());
    cd.run(["cert", "save", &id]).assert_success();
    let cert = cd.json(["cert", "show", &id]);
    let names = cert["names"].to_string();
    assert!(
        names.contains("\"*.example.org\"") && names.contains("\"example.org\""),
        "{cert:#}"
    );

    // Once it is due, the scheduler renews it the same way, with no hand work.
    let first = current_serial(&cd, &id);
    let not_after = cert["not_after"].as_str().expect("not_after");
    let not_after = OffsetDateTime::parse(not_after, &Rfc3339).expect("a date");
    let due = (not_after - Duration::days(1))
        .format(&Rfc3339)
        .expect("format");
    let pass = cd.run(["--json", "renew", "--due", "--now", &due]);
    pass.assert_success();
    assert_eq!(pass.json()["outcomes"][0]["action"], "renewed", "{pass}");
    assert_ne!(current_serial(&cd, &id), first);
    // Each value it published (Pebble may reuse an authorization) was removed again.
    let renewal_calls = Bind::hook_calls(sshd.dir()).split_off(4);
    let presented = renewal_calls
        .iter()
        .filter(|c| c.starts_with("present "))
        .count();
    assert!(presented > 0, "{renewal_calls:?}");
    assert_eq!(renewal_calls.len(), 2 * presented, "{renewal_calls:?}");
    assert!(bind.txt("_acme-challenge.example.org").is_empty());
}

#[test]
fn a_failing_dns_command_is_shown_with_its_status_and_output_and_no_command_means_by_hand() {
    let bind = Bind::start(&["example.org"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let sshd = Sshd::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let hook = bind.hook_script(sshd.dir(), Some("zone example.org is locked"));
    add_pinned(&cd, &sshd, "locked", &dns_config(&sshd, &bind, &hook));

    let id = dns_request(&cd, &["www.example.org"]);
    cd.json(["request", "set-deploy", &id, "locked"]);
    let out = cd.run(["request", "verify", &id]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("mapping \"locked\"")
            && out
                .stderr
                .contains("present _acme-challenge.www.example.org")
            && out.stderr.contains("exited with status 3")
            && out.stderr.contains("zone example.org is locked"),
        "{out}"
    );
    // Nothing reached the CA: the order still waits, to be verified once the cause is fixed.
    let shown = cd.json(["request", "show", &id]);
    assert_eq!(shown["status"], "pending", "{shown:#}");

    // A mapping without a dns_command does not answer dns-01: the administrator publishes, and
    // is told so.
    let mut plain = dns_config(&sshd, &bind, "");
    plain.as_object_mut().expect("object").remove("dns_command");
    add_pinned(&cd, &sshd, "web1", &plain);
    assert!(cd.json(["deploy", "show", "web1"])["dns01"].is_null());
    let set = cd.json(["request", "set-deploy", &id, "web1"]);
    let step = set["next_step"].as_str().expect("next step");
    assert!(
        step.contains("mapping \"web1\" does not answer dns-01 (set its dns_command")
            && step.contains("the request has no DNS account: publish each TXT record"),
        "{set:#}"
    );
}

/// Drift on a real server: nginx, deployed to over SSH by mapping `web1`, has its first
/// version's files put back behind certdesk's back after a renewal deployed the second (a server
/// restored from a backup). A check names the drift, the certificate and the mapping with the
/// command that installs the current version; that command (the window's Deploy now) ends it.
#[test]
fn files_restored_behind_certdesks_back_are_drift_until_deployed_again() {
    let s = issued_and_deployed();
    let saved = s.cd.dir().join("restore");
    fs::create_dir(&saved).expect("create the backup folder");
    let (cert_copy, key_copy) = (saved.join("fullchain.pem"), saved.join("privkey.pem"));
    fs::copy(s.nginx.cert_path(), &cert_copy).expect("copy the certificate");
    fs::copy(s.nginx.key_path(), &key_copy).expect("copy the key");
    s.cd.run(["--json", "cert", "renew", &s.id])
        .assert_success();
    let second = current_serial(&s.cd, &s.id);
    s.nginx.wait_served(NAME, &second);

    fs::copy(&cert_copy, s.nginx.cert_path()).expect("restore the certificate");
    fs::copy(&key_copy, s.nginx.key_path()).expect("restore the key");
    common::tool("sh", ["-c", &s.nginx.reload_command()]);
    s.nginx.wait_served(NAME, &s.serial);

    let address = s.nginx.https_addr();
    s.cd.json(["endpoint", "add", &address, "--sni", NAME]);
    let checks = s.cd.json(["endpoint", "check", &address]);
    let drift = checks[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["kind"] == "drift")
        .unwrap_or_else(|| panic!("no drift in {checks:#}"))
        .clone();
    assert_eq!(drift["cert"], s.id.as_str(), "{drift:#}");
    assert_eq!(drift["mapping"], "web1", "{drift:#}");
    let detail = drift["detail"].as_str().expect("detail");
    let command = format!("certdesk deploy run web1 --cert {}", s.id);
    assert!(
        detail.contains("version 1 of 2") && detail.contains(&command),
        "{detail}"
    );

    s.cd.run(["deploy", "run", "web1", "--cert", &s.id])
        .assert_success();
    s.nginx.wait_served(NAME, &second);
    let checks = s.cd.json(["endpoint", "check", &address]);
    let kinds: Vec<&str> = checks[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(!kinds.contains(&"drift"), "{checks:#}");
}
