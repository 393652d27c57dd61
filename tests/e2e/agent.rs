//! The certdesk agent on Linux, paired with the app: the real `certdesk-agent` binary on loopback,
//! http-01 answered by its own listener or through nginx's web root while Pebble validates,
//! certificates installed through it (nginx reloaded and the served serial checked, the previous
//! files put back when nginx still serves the old one), dns-01 (a wildcard) answered through its
//! DNS command writing to a real BIND, a continued renewal left to the administrator once the
//! agent lost its DNS command, calls without the pairing token refused, and the token never
//! stored in clear.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use crate::common::agent::{agent_binary, Agent};
use crate::common::ari::{rfc, time_of};
use crate::common::bind::Bind;
use crate::common::nginx::{normalize_serial, Nginx};
use crate::common::{free_port, openssl, register, wait_until, Certdesk, Create, Pebble, TempDir};
use serde_json::{json, Value};
use time::Duration as TimeDuration;

const NAME: &str = "agent-site.example.com";

/// Starts the agent with `extra` as its settings; it serves [`NAME`] unless `extra` gives its
/// `names`.
fn start_agent(extra: Value) -> Agent {
    let mut settings = json!({"names": [NAME]});
    for (k, v) in extra.as_object().expect("an object of settings") {
        settings[k] = v.clone();
    }
    Agent::start(settings)
}

/// Pairs `agent` as `name` and gives it the pairing code; returns the code.
fn pair(cd: &Certdesk, agent: &Agent, name: &str) -> Code {
    let token_file = cd.dir().join(format!("{name}.token"));
    let paired = cd.json([
        "agent",
        "pair",
        "--name",
        name,
        "--url",
        &agent.url(),
        "--fingerprint",
        &agent.fingerprint,
        "--token-file",
        token_file.to_str().expect("UTF-8"),
    ]);
    assert_eq!(paired["agent"]["fields"]["fingerprint"], agent.fingerprint);
    assert!(paired["token"].is_null(), "the token went to the file only");
    assert_eq!(mode(&token_file), 0o600);
    let code = Code::read(&token_file);
    agent.pair(&token_file);
    fs::remove_file(&token_file).expect("delete the token file");
    code
}

/// What `certdesk agent pair` wrote for the agent: `TOKEN.THUMBPRINT…`.
struct Code {
    /// The bearer token, the part certdesk keeps.
    token: String,
    /// The ACME account thumbprints the agent answers http-01 for.
    thumbprints: Vec<String>,
}

impl Code {
    fn read(file: &Path) -> Code {
        let text = fs::read_to_string(file).expect("pairing code file");
        let mut parts = text.trim().split('.').map(str::to_owned);
        Code {
            token: parts.next().expect("a token"),
            thumbprints: parts.collect(),
        }
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("file").permissions().mode() & 0o777
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            all.extend(files_under(&path));
        } else {
            all.push(path);
        }
    }
    all
}

fn assert_not_stored(dir: &Path, token: &str) {
    for file in files_under(dir) {
        let bytes = fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the pairing token in clear",
            file.display()
        );
    }
}

fn agent_list(cd: &Certdesk) -> Vec<Value> {
    cd.json(["agent", "list"])
        .as_array()
        .expect("a list")
        .clone()
}

#[test]
fn pairing_pins_the_certificate_and_only_the_token_holder_is_answered() {
    let agent = start_agent(json!({"http_listen": format!("127.0.0.1:{}", free_port())}));
    let cd = Certdesk::new();

    // A fingerprint that is not the agent's is refused, and nothing is paired.
    let wrong = "AA:".repeat(31) + "AA";
    let out = cd.run([
        "agent",
        "pair",
        "--name",
        "web1",
        "--url",
        &agent.url(),
        "--fingerprint",
        &wrong,
    ]);
    out.assert_code(1);
    assert!(out.stderr.contains(&agent.fingerprint), "{out}");
    assert!(agent_list(&cd).is_empty());
    // Without --fingerprint and no terminal to ask on, certdesk shows what the agent presents.
    let out = cd.run(["agent", "pair", "--name", "web1", "--url", &agent.url()]);
    out.assert_code(1);
    assert!(out.stderr.contains(&agent.fingerprint), "{out}");

    let token_file = cd.dir().join("web1.token");
    cd.json([
        "agent",
        "pair",
        "--name",
        "web1",
        "--url",
        &agent.url(),
        "--fingerprint",
        &agent.fingerprint.replace(':', "").to_lowercase(),
        "--token-file",
        token_file.to_str().expect("UTF-8"),
    ]);
    let code = Code::read(&token_file);
    // No ACME account yet: the code names none.
    assert!(code.thumbprints.is_empty());
    let token = code.token;
    // Before the agent has the token it refuses certdesk too.
    let listed = agent_list(&cd);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["online"], false, "{listed:?}");
    assert!(
        listed[0]["message"]
            .as_str()
            .expect("message")
            .contains("refused the pairing token"),
        "{listed:?}"
    );

    agent.pair(&token_file);
    fs::remove_file(&token_file).expect("delete the token file");
    let listed = agent_list(&cd);
    assert_eq!(listed[0]["online"], true, "{listed:?}");
    assert_eq!(listed[0]["fingerprint"], agent.fingerprint);
    let message = listed[0]["message"].as_str().expect("message");
    assert!(
        message.contains(concat!("certdesk-agent ", env!("CARGO_PKG_VERSION")))
            && message.contains(&format!("names: {NAME};"))
            && message.contains("its own listener")
            && message.contains("dns-01: not configured"),
        "{message}"
    );

    // Calls without the token, or with another one, are refused and change nothing.
    let other = "B".repeat(43);
    assert_eq!(agent.call("GET", "/v1/health", None, None), 401);
    assert_eq!(agent.call("GET", "/v1/health", Some(&other), None), 403);
    assert_eq!(agent.call("GET", "/anything", None, None), 401);
    let put = &json!({"key_authorization": format!("tok1.{}", "A".repeat(43))}).to_string();
    assert_eq!(agent.call("PUT", "/v1/http01/tok1", None, Some(put)), 401);
    assert_eq!(
        agent.call("PUT", "/v1/http01/tok1", Some(&other), Some(put)),
        403
    );
    assert_eq!(
        agent.call("POST", "/v1/install", Some(&other), Some("{}")),
        403
    );
    // The token holder is answered.
    assert_eq!(agent.call("GET", "/v1/health", Some(&token), None), 200);
    assert_eq!(agent.call("GET", "/v1/nothing", Some(&token), None), 404);

    // The token is nowhere in clear: not in the agent's configuration or state, not in
    // certdesk's data folder.
    assert_not_stored(agent.dir.path(), &token);
    assert_not_stored(cd.data_dir(), &token);

    let removed = cd.json(["agent", "remove", "web1"]);
    assert_eq!(removed["name"], "web1");
    assert!(agent_list(&cd).is_empty());
}

#[test]
fn pebble_validates_through_the_agents_listener_and_the_certificate_is_installed() {
    let pebble = Pebble::start();
    let site = TempDir::new("certdesk-agent-site");
    let fullchain = site.path().join("site.pem");
    let key = site.path().join("site.key");
    let reloads = site.path().join("reloads");
    let agent = start_agent(json!({
        "http_listen": format!("127.0.0.1:{}", pebble.http_port()),
        "files": [
            {"path": fullchain, "format": "fullchain", "mode": "0644"},
            {"path": key, "format": "key"},
        ],
        "reload_command": format!("echo reloaded >> '{}'", reloads.display()),
    }));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let token = pair(&cd, &agent, "web1").token;

    let id = http01_request(&cd, "web1");
    let verified = cd.run(["--json", "request", "verify", &id]);
    verified.assert_success();
    // Pebble fetched the token from the agent's own listener, which no longer serves it.
    assert!(
        agent.log().contains("PUT /v1/http01/") && agent.log().contains("DELETE /v1/http01/"),
        "{}",
        agent.log()
    );

    let serial = cd.json(["cert", "show", &id])["serial"]
        .as_str()
        .expect("serial")
        .to_owned();
    let served = openssl([
        "x509",
        "-noout",
        "-serial",
        "-in",
        fullchain.to_str().expect("UTF-8"),
    ]);
    assert_eq!(
        served.trim().trim_start_matches("serial=").to_lowercase(),
        serial.replace(':', "").to_lowercase(),
    );
    assert_eq!(mode(&fullchain), 0o644);
    assert_eq!(mode(&key), 0o600, "the key is private to its owner");
    let cert_key = openssl([
        "x509",
        "-noout",
        "-pubkey",
        "-in",
        fullchain.to_str().unwrap(),
    ]);
    let file_key = openssl(["pkey", "-pubout", "-in", key.to_str().unwrap()]);
    assert_eq!(
        cert_key, file_key,
        "the key file belongs to the certificate"
    );
    let subject = openssl([
        "x509",
        "-noout",
        "-ext",
        "subjectAltName",
        "-in",
        fullchain.to_str().unwrap(),
    ]);
    assert!(subject.contains(NAME), "{subject}");
    assert_eq!(fs::read_to_string(&reloads).expect("reloads"), "reloaded\n");

    // Deploying again through the mapping keeps the previous files as a backup.
    let deployed = cd.json(["deploy", "run", "web1", "--cert", &id]);
    assert!(
        deployed.to_string().contains("through agent"),
        "{deployed:#}"
    );
    assert_eq!(
        fs::read(fullchain.with_extension("pem.bak")).expect("backup"),
        fs::read(&fullchain).expect("fullchain")
    );
    assert_eq!(
        fs::read_to_string(&reloads).expect("reloads"),
        "reloaded\nreloaded\n"
    );

    assert_not_stored(agent.dir.path(), &token);
    assert_not_stored(cd.data_dir(), &token);
}

#[test]
fn a_failing_reload_puts_the_previous_files_back() {
    let site = TempDir::new("certdesk-agent-site");
    let fullchain = site.path().join("site.pem");
    let key = site.path().join("site.key");
    fs::write(&fullchain, "previous certificate\n").expect("write");
    fs::write(&key, "previous key\n").expect("write");
    let pebble = Pebble::start();
    let agent = start_agent(json!({
        "http_listen": format!("127.0.0.1:{}", pebble.http_port()),
        "files": [
            {"path": fullchain, "format": "fullchain"},
            {"path": key, "format": "key"},
        ],
        // Like nginx refusing a configuration: only the previous files load.
        "reload_command": format!(
            "grep -q 'previous certificate' '{}' || {{ echo 'nginx: configuration test failed' \
             >&2; exit 3; }}",
            fullchain.display()
        ),
    }));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    pair(&cd, &agent, "web1");
    let id = http01_request(&cd, "web1");
    assert_verify_refused(
        &cd,
        &id,
        &[
            "configuration test failed",
            "previous certificate files were put back",
        ],
    );
    assert_eq!(
        fs::read_to_string(&fullchain).unwrap(),
        "previous certificate\n"
    );
    assert_eq!(fs::read_to_string(&key).unwrap(), "previous key\n");
}

/// Pairs `agent` as `name` and tells certdesk to check the propagation of its TXT records at
/// `bind` (the zone's own nameservers are not reachable from a test).
fn pair_for_dns01(cd: &Certdesk, agent: &Agent, name: &str, bind: &Bind) {
    pair(cd, agent, name);
    check_propagation_at(cd, name, bind);
}

/// Tells certdesk to check the propagation of the TXT records agent `name` publishes at `bind`.
fn check_propagation_at(cd: &Certdesk, name: &str, bind: &Bind) {
    let edit = cd.dir().join(format!("{name}.json"));
    fs::write(
        &edit,
        json!({"nameservers": [bind.addr()], "propagation_timeout": "30"}).to_string(),
    )
    .expect("write the edit");
    cd.json([
        "deploy",
        "edit",
        name,
        "--config",
        edit.to_str().expect("UTF-8"),
    ]);
}

/// A dns-01 request for `names` that publishes through `mapping`.
fn dns01_request(cd: &Certdesk, names: &[&str], mapping: &str) -> String {
    let id = common::dns_request(cd, names);
    cd.json(["request", "set-deploy", &id, mapping]);
    id
}

#[test]
fn the_agents_dns_command_answers_dns01_for_a_wildcard() {
    let bind = Bind::start(&["example.net"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let server = TempDir::new("certdesk-agent-dns");
    let hook = bind.hook_script(server.path(), None);
    let agent = start_agent(json!({
        "dns_command": hook,
        "names": ["example.net", "*.example.net"],
    }));
    assert!(
        agent
            .stdout()
            .contains(&format!("dns-01: its DNS command `{hook}")),
        "{}",
        agent.stdout()
    );
    let cd = Certdesk::new();
    register(&cd, &pebble);
    pair_for_dns01(&cd, &agent, "web1", &bind);
    let probe = cd.json(["deploy", "test", "web1"]);
    assert!(
        probe["summary"]
            .as_str()
            .expect("summary")
            .contains("dns-01: its DNS command"),
        "{probe:#}"
    );
    let shown = cd.json(["deploy", "show", "web1"]);
    assert!(
        shown["dns01"]
            .as_str()
            .expect("answers dns-01")
            .contains(&hook),
        "{shown:#}"
    );

    let id = dns01_request(&cd, &["example.net", "*.example.net"], "web1");
    let verified = cd.json(["request", "verify", &id]);
    assert_eq!(verified[0]["status"], "available", "{verified:#}");
    assert_eq!(
        Bind::hook_calls(server.path()),
        [
            "present _acme-challenge.example.net",
            "present _acme-challenge.example.net",
            "cleanup _acme-challenge.example.net",
            "cleanup _acme-challenge.example.net",
        ]
    );
    assert!(bind.txt("_acme-challenge.example.net").is_empty());
    assert!(
        agent.log().contains("POST /v1/dns01 -> 200"),
        "{}",
        agent.log()
    );
}

/// A renewal order the scheduler continues after its agent stopped answering dns-01 waits for
/// the administrator: the CA is not asked to validate records nobody published.
#[test]
fn a_continued_renewal_whose_agent_no_longer_answers_dns01_waits_for_the_administrator() {
    let bind = Bind::start(&["example.net"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let server = TempDir::new("certdesk-agent-dns");
    let hook = bind.hook_script(server.path(), None);
    let names = json!(["www.example.net"]);
    let mut agent = start_agent(json!({"dns_command": hook, "names": names}));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    pair_for_dns01(&cd, &agent, "web1", &bind);
    let id = dns01_request(&cd, &["www.example.net"], "web1");
    assert_eq!(
        cd.json(["request", "verify", &id])[0]["status"],
        "available"
    );
    cd.json(["cert", "save", &id]);
    let due = time_of(&cd.json(["cert", "show", &id])["not_after"]) - TimeDuration::days(1);

    // The renewal's order is placed, then the agent cannot be reached: the order is kept.
    agent.stop();
    let cut_off = cd.run(["renew", "--due", "--now", &rfc(due)]);
    cut_off.assert_code(2);
    assert_eq!(cd.json(["request", "show", &id])["status"], "pending");

    // Back without its DNS command: the next pass continues the order, publishes nothing, and
    // leaves it to the administrator instead of letting the CA fail it.
    agent.start_again(json!({"names": names}));
    let pass = cd.run(["renew", "--due", "--now", &rfc(due + TimeDuration::days(1))]);
    pass.assert_success();
    assert!(pass.stdout.contains("wait to be published"), "{pass}");
    let request = cd.json(["request", "show", &id]);
    assert_eq!(request["status"], "pending", "{pass}\n{request:#}");
    let next = request["next_step"].as_str().unwrap_or_default();
    assert!(
        next.contains("mapping \"web1\" does not answer dns-01")
            && next.contains(&format!("certdesk request verify {id}")),
        "{pass}\n{request:#}"
    );
}

#[test]
fn a_failing_dns_command_on_the_agent_is_shown_with_its_status_and_output() {
    let bind = Bind::start(&["example.net"]);
    let pebble = Pebble::builder().dns_server(&bind.addr()).start();
    let server = TempDir::new("certdesk-agent-dns");
    let hook = bind.hook_script(server.path(), Some("zone example.net is frozen"));
    let agent = start_agent(json!({"dns_command": hook, "names": ["www.example.net"]}));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    pair_for_dns01(&cd, &agent, "web1", &bind);

    let id = dns01_request(&cd, &["www.example.net"], "web1");
    assert_verify_refused(
        &cd,
        &id,
        &[
            "agent \"web1\"",
            "present _acme-challenge.www.example.net",
            "exited with status 3",
            "zone example.net is frozen",
        ],
    );
    assert_eq!(cd.json(["request", "show", &id])["status"], "pending");
}

/// `certdesk request verify ID` fails (exit 2) with a message that says each of `says`.
fn assert_verify_refused(cd: &Certdesk, id: &str, says: &[&str]) {
    let out = cd.run(["request", "verify", id]);
    out.assert_code(2);
    assert!(says.iter().all(|s| out.stderr.contains(s)), "{out}");
}

/// A request for [`NAME`] by http-01, deployed through `mapping` after every issue.
fn http01_request(cd: &Certdesk, mapping: &str) -> String {
    let created = cd.json(Create::new(&[NAME], "http-01"));
    let id = created["id"].as_str().expect("id").to_owned();
    cd.json(["request", "set-deploy", &id, mapping, "--auto"]);
    id
}

#[test]
fn tokens_in_nginxs_web_root_and_the_served_serial_checked_after_the_reload() {
    let pebble = Pebble::start();
    let nginx = Nginx::start(pebble.http_port());
    let first_served = nginx.served_serial(NAME);
    let files = json!([
        {"path": nginx.cert_path(), "format": "fullchain", "mode": "0644"},
        {"path": nginx.key_path(), "format": "key"},
    ]);
    let cd = Certdesk::new();
    register(&cd, &pebble);

    // A reload command that does not make nginx read the new files: the check sees the old
    // certificate still served, and the agent puts the previous files back.
    let stale = start_agent(json!({
        "webroot": nginx.webroot(),
        "files": files,
        "reload_command": "true",
        "check": nginx.https_addr(),
    }));
    pair(&cd, &stale, "stale");
    let id = http01_request(&cd, "stale");
    assert_verify_refused(
        &cd,
        &id,
        &[
            "still serves certificate",
            "previous certificate files were put back",
        ],
    );
    assert_eq!(nginx.served_serial(NAME), first_served);

    // The same agent setup with nginx's own reload: Pebble fetched the tokens nginx served from
    // its web root, and the agent checked that nginx serves the new serial.
    let agent = start_agent(json!({
        "webroot": nginx.webroot(),
        "files": files,
        "reload_command": nginx.reload_command(),
        "check": nginx.https_addr(),
    }));
    pair(&cd, &agent, "web1");
    let id = http01_request(&cd, "web1");
    cd.run(["request", "verify", &id]).assert_success();
    let serial = normalize_serial(
        cd.json(["cert", "show", &id])["serial"]
            .as_str()
            .expect("serial"),
    );
    nginx.wait_served(NAME, &serial);
    // The deploy result says what the agent saw served after the reload.
    let shown = cd.json(["deploy", "show", "web1"]);
    let message = shown["last_deploy"]["message"].as_str().expect("message");
    let seen = message
        .split("serving ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_hexdigit()).next())
        .unwrap_or_else(|| panic!("no served serial in {message:?}"));
    assert_eq!(normalize_serial(seen), serial);
    let challenges = nginx.webroot().join(".well-known/acme-challenge");
    let left: Vec<_> = fs::read_dir(&challenges)
        .map(|d| d.map(|e| e.expect("entry").file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "tokens left in the web root: {left:?}");
}

/// A hook that only records that it ran: whatever reaches it was published.
fn marker_hook(dir: &Path) -> (String, PathBuf) {
    let marker = dir.join("hook-ran");
    let hook = dir.join("dns-hook.sh");
    fs::write(
        &hook,
        format!("#!/bin/sh\necho \"$1 $2\" >> '{}'\n", marker.display()),
    )
    .expect("write hook");
    common::tool("chmod", ["755", hook.to_str().expect("UTF-8")]);
    (hook.to_str().expect("UTF-8").to_owned(), marker)
}

/// A dns-01 addition as the API takes it: the key authorization of token `tok1` under
/// `thumbprint`.
fn txt_change(fqdn: &str, zone: &str, thumbprint: &str) -> String {
    json!({"action": "present", "fqdn": fqdn, "zone": zone,
           "key_authorization": format!("tok1.{thumbprint}")})
    .to_string()
}

/// The body of an http-01 answer for `token` under `thumbprint`.
fn key_authorization(token: &str, thumbprint: &str) -> String {
    json!({"key_authorization": format!("{token}.{thumbprint}")}).to_string()
}

/// Every entry under `dir`, links included, as paths relative to it.
fn entries_under(dir: &Path) -> Vec<String> {
    let mut all = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        all.push(
            path.strip_prefix(dir)
                .expect("inside")
                .display()
                .to_string(),
        );
        if path.is_dir() && !path.is_symlink() {
            all.extend(
                entries_under(&path)
                    .into_iter()
                    .map(|p| format!("{}/{p}", path.file_name().unwrap().to_string_lossy())),
            );
        }
    }
    all.sort();
    all
}

/// The pairing token stolen, the agent's API called directly: a TXT record for a name the agent
/// does not serve, one that is not an `_acme-challenge` name, a bare TXT value (whose account
/// the agent cannot tell), and an http-01 answer and a dns-01 TXT record for an ACME account
/// certdesk never paired. Each refused with the reason, and nothing published: the DNS command
/// never ran, nothing appeared in the web root. The same calls for what the agent does serve go
/// through, so the refusals are the agent's choice, not a broken setup.
#[test]
fn a_stolen_token_publishes_nothing_the_agents_configuration_does_not_allow() {
    let pebble = Pebble::start();
    let server = TempDir::new("certdesk-agent-stolen");
    let web = server.path().join("www");
    fs::create_dir(&web).expect("web root");
    let (hook, marker) = marker_hook(server.path());
    let agent = start_agent(json!({"dns_command": hook, "webroot": web}));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let code = pair(&cd, &agent, "web1");
    assert_eq!(
        code.thumbprints.len(),
        1,
        "the code names certdesk's account"
    );
    let stolen = Some(code.token.as_str());
    let ours = code.thumbprints[0].as_str();
    let foreign = "f".repeat(42) + "A";
    let at_name = format!("_acme-challenge.{NAME}");

    for (body, says) in [
        (
            txt_change("_acme-challenge.www.example.org", "example.org", ours),
            "refuses a TXT record at _acme-challenge.www.example.org".to_owned(),
        ),
        (
            txt_change(&format!("_dmarc.{NAME}"), NAME, ours),
            "only at _acme-challenge.NAME".to_owned(),
        ),
        (
            txt_change(&format!("_acme-challenge.www.{NAME}"), NAME, ours),
            format!("serves only {NAME}"),
        ),
        (
            txt_change(&at_name, NAME, &foreign),
            format!("account thumbprint {foreign}"),
        ),
        (
            json!({"action": "present", "fqdn": at_name, "zone": NAME,
                   "value": "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"})
            .to_string(),
            "missing field `key_authorization`".to_owned(),
        ),
    ] {
        let (status, answer) = agent.answer("POST", "/v1/dns01", stolen, Some(&body));
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer.contains(&says), "{body}: {answer}");
    }
    let (status, answer) = agent.answer(
        "PUT",
        "/v1/http01/tok1",
        stolen,
        Some(&key_authorization("tok1", &foreign)),
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer.contains(&format!("account thumbprint {foreign}"))
            && answer.contains("pair the agent again"),
        "{answer}"
    );
    assert!(!marker.exists(), "the DNS command ran");
    assert!(entries_under(&web).is_empty(), "{:?}", entries_under(&web));

    // What the configuration does allow goes through.
    let allowed = txt_change(&at_name, NAME, ours);
    assert_eq!(agent.call("POST", "/v1/dns01", stolen, Some(&allowed)), 200);
    assert_eq!(
        fs::read_to_string(&marker).expect("the hook ran"),
        format!("present {at_name}\n")
    );
    let pinned = key_authorization("tok1", ours);
    assert_eq!(
        agent.call("PUT", "/v1/http01/tok1", stolen, Some(&pinned)),
        200
    );
    assert_eq!(
        entries_under(&web),
        [
            ".well-known",
            ".well-known/acme-challenge",
            ".well-known/acme-challenge/tok1"
        ]
    );
}

/// An agent paired before certdesk had its ACME account: certdesk shows the agent's refusal of
/// the account's http-01 answer, and pairing again (the code now names the account) is the way
/// out. A dns-01 request for a name outside the agent's names is refused the same way, with the
/// DNS command never run.
#[test]
fn certdesk_shows_the_agents_refusals() {
    // Pebble resolves every name to 127.0.0.1; BIND only tells certdesk the zone.
    let bind = Bind::start(&["example.net"]);
    let pebble = Pebble::start();
    let server = TempDir::new("certdesk-agent-refusing");
    let hook = bind.hook_script(server.path(), None);
    let agent = start_agent(json!({
        "http_listen": format!("127.0.0.1:{}", pebble.http_port()),
        "dns_command": hook,
        "names": [NAME, "www.example.net"],
    }));
    let cd = Certdesk::new();
    let early = pair(&cd, &agent, "web1");
    assert!(early.thumbprints.is_empty());
    register(&cd, &pebble);
    let id = http01_request(&cd, "web1");
    assert_verify_refused(
        &cd,
        &id,
        &[
            "agent \"web1\"",
            "only for the ACME accounts named when it was paired",
            "pair the agent again",
        ],
    );
    let log = agent.log();
    let puts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("PUT /v1/http01/"))
        .collect();
    assert!(
        !puts.is_empty() && puts.iter().all(|l| l.ends_with("-> 400")),
        "{log}"
    );

    // Paired again, the code names the account: the same request goes through.
    let again = pair(&cd, &agent, "web2");
    assert_eq!(again.thumbprints.len(), 1);
    cd.json(["request", "set-deploy", &id, "web2"]);
    cd.run(["request", "verify", &id]).assert_success();

    check_propagation_at(&cd, "web2", &bind);
    let id = dns01_request(&cd, &["mail.example.net"], "web2");
    assert_verify_refused(
        &cd,
        &id,
        &[
            "agent \"web2\"",
            &format!("serves only {NAME}, www.example.net"),
            "_acme-challenge.mail.example.net",
        ],
    );
    assert!(Bind::hook_calls(server.path()).is_empty());
    assert!(bind.txt("_acme-challenge.mail.example.net").is_empty());
}

/// A web user of a real web root points `.well-known/acme-challenge` at a folder outside it, or
/// plants a token's name as a link to a victim file. The agent (root here) refuses both, writes
/// nothing outside, and the victim keeps its content and mode, for writing and for removing.
#[test]
fn links_a_web_user_planted_in_the_web_root_are_refused() {
    let pebble = Pebble::start();
    let server = TempDir::new("certdesk-agent-links");
    let web = server.path().join("www");
    let outside = server.path().join("outside");
    fs::create_dir_all(web.join(".well-known")).expect("web root");
    fs::create_dir(&outside).expect("outside");
    let victim = outside.join("victim");
    fs::write(&victim, "root's file\n").expect("victim");
    set_mode(&victim, 0o600);
    let agent = start_agent(json!({"webroot": web}));
    let cd = Certdesk::new();
    register(&cd, &pebble);
    let code = pair(&cd, &agent, "web1");
    let token = Some(code.token.as_str());
    let put = |name: &str| {
        agent.answer(
            "PUT",
            &format!("/v1/http01/{name}"),
            token,
            Some(&key_authorization(name, &code.thumbprints[0])),
        )
    };
    let delete = |name: &str| agent.answer("DELETE", &format!("/v1/http01/{name}"), token, None);
    let victim_kept = || {
        assert_eq!(
            fs::read_to_string(&victim).expect("victim"),
            "root's file\n"
        );
        assert_eq!(mode(&victim), 0o600);
        assert_eq!(entries_under(&outside), ["victim"]);
    };

    // The challenge folder is a link out of the web root.
    let challenges = web.join(".well-known/acme-challenge");
    std::os::unix::fs::symlink(&outside, &challenges).expect("symlink");
    for (status, answer) in [put("victim"), put("tok1"), delete("victim")] {
        assert_eq!(status, 400, "{answer}");
        assert!(
            answer.contains(&format!("{} is a symbolic link", challenges.display())),
            "{answer}"
        );
    }
    victim_kept();

    // A real challenge folder, a token's name linked to the victim.
    fs::remove_file(&challenges).expect("remove the link");
    fs::create_dir(&challenges).expect("challenge folder");
    set_mode(&challenges, 0o777);
    std::os::unix::fs::symlink(&victim, challenges.join("tok2")).expect("symlink");
    for (status, answer) in [put("tok2"), delete("tok2")] {
        assert_eq!(status, 400, "{answer}");
        assert!(answer.contains("tok2 is a symbolic link"), "{answer}");
    }
    victim_kept();
    assert!(challenges.join("tok2").is_symlink(), "the link is left");
    // A folder the agent did not make keeps its mode.
    assert_eq!(mode(&challenges), 0o777);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// `certdesk-agent install`, staged with `CERTDESK_AGENT_DESTDIR` (this machine's systemd is not
/// running): run from a folder anyone can write (as unpacked in /tmp), it copies itself to
/// root's `/usr/local/lib/certdesk-agent` and the unit names that copy; a configuration others
/// can change and a binary folder others can write are refused, with nothing written.
#[test]
fn install_copies_the_agent_where_only_root_can_change_it() {
    // A folder only root can write, up to `/`: the build folder may lie below /tmp (a clone
    // there), which install rightly refuses; /var/lib is root's on every Debian and Ubuntu.
    let base = Path::new("/var/lib").join(format!(
        "certdesk-test-agent-install-{}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&base);
    let stage = base.join("stage");
    for dir in ["usr/local/lib", "etc/systemd/system"] {
        fs::create_dir_all(stage.join(dir)).expect("stage");
    }
    let etc = base.join("etc/certdesk-agent");
    fs::create_dir_all(&etc).expect("config folder");
    let config = etc.join("agent.json");
    fs::write(
        &config,
        json!({"listen": "127.0.0.1:8443", "names": [NAME], "webroot": "/var/www/html"})
            .to_string(),
    )
    .expect("config");
    let unpacked = TempDir::new("certdesk-agent-unpacked");
    let exe = unpacked.path().join("certdesk-agent");
    fs::copy(agent_binary(), &exe).expect("copy the agent");
    let install = |config: &Path| {
        Command::new(&exe)
            .arg("--config")
            .arg(config)
            .arg("install")
            .env("CERTDESK_AGENT_DESTDIR", &stage)
            .output()
            .expect("run install")
    };
    let unit = stage.join("etc/systemd/system/certdesk-agent.service");
    let installed = stage.join("usr/local/lib/certdesk-agent/certdesk-agent");

    // A configuration in a folder anyone can write: its commands would run as root.
    let loose = unpacked.path().join("agent.json");
    fs::copy(&config, &loose).expect("copy config");
    let out = install(&loose);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("the configuration") && said.contains("not safe to run as root"),
        "{said}"
    );
    assert!(!unit.exists() && !installed.exists());

    // A binary folder others can write.
    set_mode(&stage.join("usr/local/lib"), 0o775);
    let out = install(&config);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("mode 0775"), "{said}");
    assert!(!unit.exists() && !stage.join("usr/local/lib/certdesk-agent").exists());

    set_mode(&stage.join("usr/local/lib"), 0o755);
    let out = install(&config);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("systemctl was not run"), "{said}");
    assert_eq!(
        fs::read(&installed).expect("copied"),
        fs::read(&exe).expect("agent")
    );
    assert_eq!(mode(&installed), 0o755);
    let text = fs::read_to_string(&unit).expect("unit");
    assert!(
        text.contains(&format!(
            "ExecStart=\"/usr/local/lib/certdesk-agent/certdesk-agent\" run --config \"{}\"",
            config.display()
        )) && text.contains("ProtectSystem=strict")
            && text.contains("\"-/var/www/html\""),
        "{text}"
    );
    assert!(
        !text.contains(&unpacked.path().display().to_string()),
        "{text}"
    );
    // The configuration's folder kept its mode (the agent did not make it).
    assert_eq!(mode(&etc), 0o755);
    fs::remove_dir_all(&base).expect("clean up");
}

/// `tests/fakes/hostile_agent.py` with a certificate of its own, answering every call by
/// flooding or dripping (`mode`).
struct HostileAgent {
    child: Child,
    dir: TempDir,
    port: u16,
    fingerprint: String,
}

impl HostileAgent {
    fn start(mode: &str) -> HostileAgent {
        let dir = TempDir::new("certdesk-hostile-agent");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        common::self_signed("/CN=hostile-agent", &key, &cert);
        let printed = openssl([
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            cert.to_str().expect("UTF-8"),
        ]);
        let fingerprint = printed
            .trim()
            .rsplit_once('=')
            .expect("a fingerprint")
            .1
            .to_owned();
        let port = free_port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fakes/hostile_agent.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(&cert)
            .arg(&key)
            .arg(port.to_string())
            .arg(mode)
            .stdout(fs::File::create(dir.path().join("out")).expect("stdout"))
            .stderr(fs::File::create(dir.path().join("log")).expect("log"))
            .spawn()
            .expect("start hostile_agent.py");
        let agent = HostileAgent {
            child,
            dir,
            port,
            fingerprint,
        };
        wait_until(
            "hostile_agent.py to listen",
            Duration::from_secs(30),
            || fs::read_to_string(agent.dir.path().join("out")).is_ok_and(|o| o.contains("ready")),
        );
        agent
    }

    /// Pairs it in `cd` as `name` (the code goes nowhere: this agent takes no token).
    fn pair(&self, cd: &Certdesk, name: &str) {
        let code = cd.dir().join(format!("{name}.code"));
        cd.json([
            "agent",
            "pair",
            "--name",
            name,
            "--url",
            &format!("https://127.0.0.1:{}", self.port),
            "--fingerprint",
            &self.fingerprint,
            "--token-file",
            code.to_str().expect("UTF-8"),
        ]);
    }

    /// The bytes it sent before each client hung up.
    fn served(&self) -> Vec<u64> {
        fs::read_to_string(self.dir.path().join("log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.strip_prefix("served ")?.parse().ok())
            .collect()
    }
}

impl Drop for HostileAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An end server whose agent answers floods certdesk with an endless body, or drips one byte a
/// second: certdesk stops reading past its limit at once, and gives up on the drip when the
/// call's deadline (60 s, the body included) is up, naming what happened.
#[test]
fn a_flooding_or_dripping_agent_is_cut_off() {
    let flood = HostileAgent::start("flood");
    let drip = HostileAgent::start("drip");
    // Two data folders: one certdesk process at a time uses each.
    let cd = Certdesk::new();
    let cd_drip = Certdesk::new();
    flood.pair(&cd, "flood");
    drip.pair(&cd_drip, "drip");

    let dripping = std::thread::scope(|scope| {
        let dripping = scope.spawn(|| {
            let start = std::time::Instant::now();
            let out = cd_drip.run(["deploy", "test", "drip"]);
            (out, start.elapsed())
        });
        let start = std::time::Instant::now();
        let out = cd.run(["deploy", "test", "flood"]);
        out.assert_code(2);
        assert!(
            out.stderr
                .contains("agent \"flood\" sent an answer over 256 KiB"),
            "{out}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "{:?}",
            start.elapsed()
        );
        dripping.join().expect("drip thread")
    });
    wait_until("the flood to end", Duration::from_secs(10), || {
        !flood.served().is_empty()
    });
    assert!(
        flood.served().iter().all(|bytes| *bytes < 16 << 20),
        "certdesk read on: {:?}",
        flood.served()
    );

    let (out, took) = dripping;
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("agent \"drip\" did not answer within 60 s"),
        "{out}"
    );
    assert!(
        took >= Duration::from_secs(59) && took < Duration::from_secs(80),
        "{took:?}"
    );
}
