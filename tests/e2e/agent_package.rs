//! The agent package the Windows Agent tab and `certdesk agent package` hand out, opened the way
//! an administrator does on the server: `tar -xzf`, `sha256sum`, then the agent inside runs and
//! accepts the example configuration that comes with it.

use std::fs;

use crate::common::{tool, Certdesk};
use serde_json::Value;

#[test]
fn the_package_unpacks_into_an_agent_that_runs_with_its_example_configuration() {
    let cd = Certdesk::new();
    let package = cd.dir().join("certdesk-agent.tar.gz");
    let written = cd.json([
        "agent",
        "package",
        "--out",
        package.to_str().expect("UTF-8"),
    ]);
    let folder = written["folder"].as_str().expect("folder");
    assert_eq!(
        folder,
        format!("certdesk-agent-{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(
        written["size"].as_u64(),
        Some(fs::metadata(&package).expect("package written").len())
    );

    let unpacked = cd.dir().join("server");
    fs::create_dir(&unpacked).expect("create folder");
    tool(
        "tar",
        [
            "-xzf",
            package.to_str().expect("UTF-8"),
            "-C",
            unpacked.to_str().expect("UTF-8"),
        ],
    );
    let agent = unpacked.join(folder).join("certdesk-agent");
    let sum = tool("sha256sum", [agent.to_str().expect("UTF-8")]);
    assert_eq!(
        sum.split_whitespace().next(),
        written["binary_sha256"].as_str(),
        "{written:#}"
    );
    let version = tool(agent.to_str().expect("UTF-8"), ["--version"]);
    assert_eq!(
        version.trim(),
        format!("certdesk-agent {}", env!("CARGO_PKG_VERSION"))
    );
    let install = fs::read_to_string(unpacked.join(folder).join("INSTALL.txt")).expect("INSTALL");
    assert!(
        install.contains("certdesk-agent install") && install.contains("certdesk-agent pair"),
        "{install}"
    );

    let iis: Value = serde_json::from_str(
        &fs::read_to_string(unpacked.join(folder).join("agent-iis.json.example")).expect("IIS"),
    )
    .expect("JSON");
    assert_eq!(iis["iis_site"], "Default Web Site", "{iis:#}");

    // The example, pointed at a state folder of the test's, is a configuration the agent takes.
    let example = unpacked.join(folder).join("agent.json.example");
    let mut config: Value =
        serde_json::from_str(&fs::read_to_string(example).expect("example")).expect("JSON");
    config["state_dir"] = Value::from(unpacked.join("state").to_str().expect("UTF-8"));
    let config_path = unpacked.join("agent.json");
    fs::write(&config_path, config.to_string()).expect("write config");
    let fingerprint = tool(
        agent.to_str().expect("UTF-8"),
        [
            "--config",
            config_path.to_str().expect("UTF-8"),
            "fingerprint",
        ],
    );
    let shown = fingerprint
        .trim()
        .strip_prefix("fingerprint SHA256 ")
        .unwrap_or_else(|| panic!("{fingerprint}"));
    assert_eq!(shown.split(':').count(), 32, "{fingerprint}");
}

#[test]
fn a_missing_agent_binary_or_a_folder_as_the_package_is_explained() {
    let cd = Certdesk::new().env("CERTDESK_AGENT_BINARY", "/nonexistent/certdesk-agent");
    let out = cd.run(["agent", "package", "--out", "agent.tar.gz"]);
    out.assert_code(3);
    assert!(
        out.stderr
            .contains("/nonexistent/certdesk-agent is not there")
            && out
                .stderr
                .contains("cargo build --release -p certdesk-agent"),
        "{out}"
    );

    let cd = Certdesk::new();
    let out = cd.run([
        "agent",
        "package",
        "--out",
        cd.dir().to_str().expect("UTF-8"),
    ]);
    out.assert_code(1);
    assert!(out.stderr.contains("is a folder"), "{out}");
}
