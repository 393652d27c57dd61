//! dns-01 through the administrator's own command (`certdesk dns add --provider script`): the
//! command here is a shell script that writes to a real BIND with `nsupdate`, as an admin would
//! wire any DNS service with a command-line tool.

use crate::common;

use crate::common::bind::Bind;
use crate::common::dns_setup::Issuing;
use crate::common::Certdesk;
use serde_json::json;

fn add(cd: &Certdesk, command: &str, bind: &Bind) {
    let config = cd.dir().join("script.json");
    std::fs::write(
        &config,
        json!({"command": command, "timeout": "20", "nameservers": [bind.addr()]}).to_string(),
    )
    .expect("write config");
    cd.run([
        "dns",
        "add",
        "--provider",
        "script",
        "--name",
        "hook",
        "--config",
        config.to_str().expect("UTF-8"),
    ])
    .assert_success();
}

fn issue(cd: &Certdesk, names: &[&str]) -> common::Output {
    common::issue_dns(cd, "hook", names)
}

#[test]
fn the_admins_command_publishes_and_removes_each_value() {
    let bind = Bind::start(&["example.org"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    let command = bind.hook_script(cd.dir(), None);
    add(cd, &command, &bind);

    let out = issue(cd, &["example.org", "*.example.org"]);
    out.assert_success();
    assert_eq!(out.json()["status"], "saved");
    let calls = Bind::hook_calls(cd.dir());
    // A wildcard and its base name share one TXT name: two values, each presented and removed.
    assert_eq!(
        calls,
        [
            "present _acme-challenge.example.org",
            "present _acme-challenge.example.org",
            "cleanup _acme-challenge.example.org",
            "cleanup _acme-challenge.example.org",
        ]
    );
    assert!(bind.txt("_acme-challenge.example.org").is_empty());
}

#[test]
fn a_failing_command_is_reported_with_its_own_words() {
    let bind = Bind::start(&["example.org"]);
    let s = Issuing::start(&bind.addr());
    let cd = &s.cd;
    let command = bind.hook_script(cd.dir(), Some("zone example.org is locked"));
    add(cd, &command, &bind);
    let out = issue(cd, &["www.example.org"]);
    out.assert_code(2);
    assert!(
        out.stderr.contains("Script failed running")
            && out
                .stderr
                .contains("present _acme-challenge.www.example.org")
            && out.stderr.contains("zone example.org is locked"),
        "{out}"
    );
}
