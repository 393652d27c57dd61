//! moto in server mode (`python3 -m moto.server`, PyPI `moto[server]`) on a free loopback port:
//! an in-memory AWS whose Route 53 the tests drive through `tests/fakes/route53_mirror.py`, and
//! look into with boto3 directly, independently of certdesk.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, scrub_env, tail, wait_until, TempDir,
};
use super::tools::tool_with_stdin;

pub struct Moto {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
}

impl Moto {
    /// Starts moto and waits until it answers HTTP.
    pub fn start() -> Moto {
        let dir = TempDir::new("certdesk-moto");
        let port = free_port();
        let (out, err) = open_log(&dir.path().join("moto.log"));
        let mut cmd = Command::new("python3");
        scrub_env(&mut cmd);
        let child = cmd
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("python3", &e)));
        let moto = Moto {
            dir,
            child: Some(child),
            port,
        };
        wait_until("moto to answer", Duration::from_secs(60), || moto.answers());
        moto
    }

    /// `http://127.0.0.1:PORT`: what the front forwards to.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Whether moto answers a plain HTTP request (its own API's state dump).
    fn answers(&self) -> bool {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
        let request = "GET /moto-api/data.json HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
        let mut answer = String::new();
        stream.write_all(request.as_bytes()).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.")
    }

    /// Runs `code` in Python with `r53`, a boto3 Route 53 client of moto, and returns its stdout.
    pub fn boto3(&self, code: &str) -> String {
        let script = format!(
            "import boto3, json, uuid\n\
             r53 = boto3.client('route53', endpoint_url='{}', region_name='us-east-1', \
             aws_access_key_id='moto', aws_secret_access_key='moto')\n{code}\n",
            self.endpoint()
        );
        tool_with_stdin("python3", ["-"], Some(script.as_bytes()))
    }

    /// Creates the public hosted zone `name`; returns its ID (without `/hostedzone/`).
    pub fn create_zone(&self, name: &str) -> String {
        self.boto3(&format!(
            "z = r53.create_hosted_zone(Name='{name}', CallerReference=str(uuid.uuid4()))\n\
             print(z['HostedZone']['Id'].split('/')[-1])"
        ))
        .trim()
        .to_owned()
    }

    /// Creates a private hosted zone `name` (attached to a VPC); returns its ID.
    pub fn create_private_zone(&self, name: &str) -> String {
        self.boto3(&format!(
            "z = r53.create_hosted_zone(Name='{name}', CallerReference=str(uuid.uuid4()), \
             HostedZoneConfig={{'PrivateZone': True}}, \
             VPC={{'VPCRegion': 'us-east-1', 'VPCId': 'vpc-12345678'}})\n\
             print(z['HostedZone']['Id'].split('/')[-1])"
        ))
        .trim()
        .to_owned()
    }

    /// Writes the TXT set at `fqdn` in zone `zone_id` (values unquoted) with `ttl`.
    pub fn set_txt(&self, zone_id: &str, fqdn: &str, ttl: u32, values: &[&str]) {
        let records: Vec<String> = values
            .iter()
            .map(|v| format!("{{'Value': '\"{v}\"'}}"))
            .collect();
        self.boto3(&format!(
            "r53.change_resource_record_sets(HostedZoneId='{zone_id}', ChangeBatch={{'Changes': \
             [{{'Action': 'UPSERT', 'ResourceRecordSet': {{'Name': '{fqdn}.', 'Type': 'TXT', \
             'TTL': {ttl}, 'ResourceRecords': [{}]}}}}]}})",
            records.join(", ")
        ));
    }

    /// The TXT values (unquoted, sorted) at `fqdn` in zone `zone_id`, as moto holds them.
    pub fn txt(&self, zone_id: &str, fqdn: &str) -> Vec<String> {
        let out = self.boto3(&format!(
            "sets = r53.list_resource_record_sets(HostedZoneId='{zone_id}', \
             StartRecordName='{fqdn}.', StartRecordType='TXT', MaxItems='1')\
             ['ResourceRecordSets']\n\
             print(json.dumps(sorted(r['Value'].strip('\"') for s in sets \
             if s['Name'] == '{fqdn}.' and s['Type'] == 'TXT' \
             for r in s.get('ResourceRecords', []))))"
        ));
        serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("boto3 said {out:?}: {e}"))
    }

    pub fn log(&self) -> String {
        read_lossy(&self.dir.path().join("moto.log"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] moto log (tail):\n{}", tail(&self.log(), 40));
        }
    }
}
