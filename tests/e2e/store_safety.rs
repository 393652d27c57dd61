//! A data folder whose master key is missing or wrong fails at open with exit 3, names the
//! keychain entry and the way out, and writes nothing: not a byte of the folder, not a new
//! keychain entry. `certdesk store reset-secrets` refuses without --yes and, with it, makes a new
//! key and forgets the secrets while the listings keep working.

use crate::common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{register, Certdesk, Create, Output, Pebble};

/// Every file of the data folder with its bytes. Take it after a run that opened the folder:
/// sled writes a snapshot of its log (its own index, no record) at the first open after a write.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    assert!(!out.is_empty(), "the data folder has files");
    out
}

fn assert_unchanged(dir: &Path, before: &BTreeMap<PathBuf, Vec<u8>>) {
    let after = snapshot(dir);
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "the data folder's files"
    );
    for (path, bytes) in before {
        assert!(after[path] == *bytes, "{} changed", path.display());
    }
}

/// The keychain entry the message names: `master-key/<store id>`.
fn named_entry(out: &Output) -> String {
    let start = out
        .stderr
        .find("master-key/")
        .unwrap_or_else(|| panic!("the message names the keychain entry:\n{out}"));
    out.stderr[start..]
        .chars()
        .take_while(|c| *c == '/' || c.is_ascii_alphanumeric() || *c == '-')
        .collect()
}

/// `secret-tool search --all service certdesk username USER` in the tests' keychain.
fn keychain_has(user: &str) -> bool {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", "certdesk", "username", user])
        .output()
        .expect("secret-tool runs");
    String::from_utf8_lossy(&out.stdout).contains(user)
        || String::from_utf8_lossy(&out.stderr).contains(user)
}

fn assert_names_the_way_out(out: &Output) {
    assert!(out.stderr.contains("service \"certdesk\""), "{out}");
    assert!(out.stderr.contains("Nothing was changed"), "{out}");
    assert!(out.stderr.contains("Restore the keychain"), "{out}");
    assert!(
        out.stderr.contains("certdesk store reset-secrets --yes"),
        "{out}"
    );
}

/// `certdesk ARGS` on the folder of `cd` on a machine whose keychain never saw it: a second
/// D-Bus session with a fresh HOME and gnome-keyring (the script the tests run under). Its
/// stdout ends with the exit code and the certdesk entries of that keychain after the run.
fn in_another_keychain(cd: &Certdesk, args: &[&str]) -> Output {
    let script = r#""$@"; echo "exit: $?"; echo "entries:"; secret-tool search --all service certdesk 2>&1; true"#;
    let run = Command::new("bash")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/test"))
        .args(["--exec", "sh", "-c", script, "sh", Certdesk::binary()])
        .arg("--data-dir")
        .arg(cd.data_dir())
        .args(args)
        .output()
        .expect("the second keychain session runs");
    Output {
        command: format!("certdesk {} (in another keychain)", args.join(" ")),
        code: run.status.code(),
        stdout: String::from_utf8_lossy(&run.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&run.stderr).into_owned(),
    }
}

#[test]
fn a_data_folder_opened_with_another_keychain_fails_and_writes_nothing() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    cd.run(["account", "show"]).assert_success();
    let before = snapshot(cd.data_dir());

    let out = in_another_keychain(&cd, &["account", "show"]);
    assert!(out.stdout.contains("exit: 3\n"), "{out}");
    assert!(out.stderr.contains("is missing from the keychain"), "{out}");
    assert_names_the_way_out(&out);
    let user = named_entry(&out);
    let entries = &out.stdout[out.stdout.find("entries:").unwrap()..];
    assert!(
        !entries.contains("master-key"),
        "no new master key was made there:\n{out}"
    );
    assert_unchanged(cd.data_dir(), &before);

    // Back in its own keychain the folder opens as before, under the key the message named.
    assert!(keychain_has(&user), "{user} is the folder's entry");
    let accounts = cd.json(["account", "show"]);
    assert_eq!(accounts[0]["name"], "pebble", "{accounts}");
}

#[test]
fn a_reset_keychain_fails_at_open_and_reset_secrets_is_the_confirmed_way_out() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let listen = format!("127.0.0.1:{}", pebble.http_port());
    let id = cd.json(Create::new(&["kept.example.com"], "http-01"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    cd.json(["request", "verify", "--http-listen", &listen, &id]);
    cd.json(["cert", "save", &id]);

    // The keychain loses the folder's entry (a keychain reset).
    let user = named_entry(&in_another_keychain(&cd, &["cert", "list"]));
    assert!(keychain_has(&user));
    let cleared = Command::new("secret-tool")
        .args(["clear", "service", "certdesk", "username", &user])
        .status()
        .unwrap();
    assert!(cleared.success() && !keychain_has(&user));
    let before = snapshot(cd.data_dir());

    let out = cd.run(["cert", "list"]);
    out.assert_code(3);
    assert!(out.stderr.contains("is missing from the keychain"), "{out}");
    assert!(out.stderr.contains(&user), "{out}");
    assert_names_the_way_out(&out);
    assert!(!keychain_has(&user), "opening made no key");
    assert_unchanged(cd.data_dir(), &before);

    // Without --yes the reset refuses, says what would be lost, and changes nothing.
    let refused = cd.run(["store", "reset-secrets"]);
    refused.assert_code(1);
    assert!(refused.stderr.contains("without --yes"), "{refused}");
    assert!(
        refused
            .stderr
            .contains("credentials of accounts \"pebble\""),
        "{refused}"
    );
    assert!(
        refused
            .stderr
            .contains(&format!("versions/0/key of certificates \"{id}\"")),
        "{refused}"
    );
    assert!(!keychain_has(&user));
    assert_unchanged(cd.data_dir(), &before);

    // With --yes: a new key, the secrets forgotten, the listings work again.
    let reset = cd.json(["store", "reset-secrets", "--yes"]);
    let forgotten = reset["forgotten"].as_array().unwrap();
    assert_eq!(forgotten.len(), 2, "{reset}");
    assert!(keychain_has(&user), "the new master key is in the keychain");
    let certs = cd.json(["cert", "list"]);
    assert_eq!(certs.as_array().unwrap().len(), 1, "{certs}");
    assert_eq!(certs[0]["id"], id.as_str());
    assert!(certs[0].get("damaged").is_none(), "{certs}");
    assert_eq!(cd.json(["account", "show"])[0]["name"], "pebble");
    let key = cd.dir().join("key.pem");
    let export = common::export_key(&cd, &id, &key);
    export.assert_code(1);
    assert!(export.stderr.contains("was forgotten"), "{export}");
    assert!(export.stderr.contains("enter it again"), "{export}");
    assert!(export.stderr.contains("certdesk cert renew"), "{export}");
    assert!(!key.exists());
    // The account's key is forgotten too: an order says how to give it back.
    let order = cd.run(Create::new(&["new.example.com"], "http-01"));
    order.assert_failure();
    assert!(
        order
            .stderr
            .contains("credentials of accounts \"pebble\" was forgotten"),
        "{order}"
    );
    assert!(order.stderr.contains("certdesk account delete"), "{order}");
}

#[test]
fn a_key_that_is_not_the_folders_fails_at_open_and_writes_nothing() {
    let pebble = Pebble::start();
    let cd = Certdesk::new();
    register(&cd, &pebble);
    cd.run(["account", "show"]).assert_success();
    // A copy of the folder is reset: the keychain's entry (the copies share it) now holds the
    // copy's new key, which does not open the original.
    let copy = Certdesk::new();
    fs::remove_dir(copy.data_dir()).unwrap();
    let copied = Command::new("cp")
        .arg("-a")
        .arg(cd.data_dir())
        .arg(copy.data_dir())
        .status()
        .unwrap();
    assert!(copied.success());
    copy.run(["store", "reset-secrets", "--yes"])
        .assert_success();
    let before = snapshot(cd.data_dir());

    let out = cd.run(["account", "show"]);
    out.assert_code(3);
    assert!(
        out.stderr
            .contains("the keychain's key does not open this data folder"),
        "{out}"
    );
    assert_names_the_way_out(&out);
    assert_unchanged(cd.data_dir(), &before);
    // The reset copy opens under the new key.
    assert_eq!(copy.json(["account", "show"])[0]["name"], "pebble");
}
