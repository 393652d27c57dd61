//! The plain-text exchange that turns a mail port into TLS before the handshake: SMTP
//! (RFC 3207), IMAP (RFC 3501 §6.2.1) and POP3 (RFC 2595 §4). Every reply is read a byte at a
//! time, so nothing the server sends after it is taken from the handshake, and bounded: each
//! line in length, each reply in lines, the whole exchange by the check's deadline.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::findings::{Finding, FindingKind};
use super::probe::Deadline;

/// The longest reply line read (RFC 5321 allows 512 octets, IMAP's capability lines run longer).
const MAX_LINE: usize = 4096;

/// The most lines one reply may have (an EHLO reply lists one extension a line).
const MAX_LINES: usize = 64;

/// The name certdesk greets an SMTP server with: no host name of its own is needed to ask for
/// STARTTLS, and a reserved one says so.
const EHLO_NAME: &str = "certdesk.invalid";

/// The protocol spoken before TLS on a port that upgrades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Starttls {
    Smtp,
    Imap,
    Pop3,
}

impl Starttls {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Smtp => "smtp",
            Self::Imap => "imap",
            Self::Pop3 => "pop3",
        }
    }
}

impl fmt::Display for Starttls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Starttls {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "smtp" => Ok(Self::Smtp),
            "imap" => Ok(Self::Imap),
            "pop3" => Ok(Self::Pop3),
            other => Err(format!(
                "{other:?} is not a STARTTLS protocol (smtp, imap or pop3)"
            )),
        }
    }
}

/// Asks the server on `tcp` to start TLS in `protocol`; on success the next bytes are the
/// handshake's.
pub(super) fn upgrade(
    tcp: &mut TcpStream,
    protocol: Starttls,
    deadline: Deadline,
) -> Result<(), Finding> {
    let mut talk = Talk {
        tcp,
        deadline,
        protocol,
    };
    match protocol {
        Starttls::Smtp => {
            talk.smtp_reply("220", "greeting")?;
            talk.send(&format!("EHLO {EHLO_NAME}"))?;
            let extensions = talk.smtp_reply("250", "EHLO")?;
            let offered = extensions.iter().any(|line| {
                line.get(4..)
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("STARTTLS"))
            });
            if !offered {
                return Err(talk.refused("the server does not offer STARTTLS in its EHLO reply"));
            }
            talk.send("STARTTLS")?;
            talk.smtp_reply("220", "STARTTLS")?;
        }
        Starttls::Imap => {
            let greeting = talk.line()?;
            if !starts_with_ignore_case(&greeting, "* OK") {
                return Err(talk.refused(&format!("the greeting is {greeting:?}, not * OK")));
            }
            talk.send("a1 STARTTLS")?;
            let done = (0..MAX_LINES)
                .map(|_| talk.line())
                .find(|line| line.as_ref().map_or(true, |l| l.starts_with("a1 ")))
                .unwrap_or_else(|| Err(talk.refused("no tagged answer to STARTTLS")))?;
            if !starts_with_ignore_case(&done, "a1 OK") {
                return Err(talk.refused(&format!("STARTTLS was answered {done:?}")));
            }
        }
        Starttls::Pop3 => {
            talk.ok_line("greeting")?;
            talk.send("STLS")?;
            talk.ok_line("STLS")?;
        }
    }
    Ok(())
}

fn starts_with_ignore_case(line: &str, prefix: &str) -> bool {
    line.get(..prefix.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
}

/// One exchange with the server, before the handshake.
struct Talk<'a> {
    tcp: &'a mut TcpStream,
    deadline: Deadline,
    protocol: Starttls,
}

impl Talk<'_> {
    fn refused(&self, why: &str) -> Finding {
        Finding::new(
            FindingKind::StarttlsRefused,
            format!("no {} STARTTLS: {why}", self.protocol.name().to_uppercase()),
        )
    }

    fn io_failed(&self, e: &io::Error) -> Finding {
        match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => self.deadline.timed_out(),
            _ => self.refused(&format!("the connection failed ({e})")),
        }
    }

    fn send(&mut self, command: &str) -> Result<(), Finding> {
        let left = self.deadline.remaining()?;
        self.tcp
            .set_write_timeout(Some(left))
            .and_then(|()| self.tcp.write_all(format!("{command}\r\n").as_bytes()))
            .map_err(|e| self.io_failed(&e))
    }

    /// One line without its CRLF; a line over [`MAX_LINE`] or a closed connection is refused.
    fn line(&mut self) -> Result<String, Finding> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let left = self.deadline.remaining()?;
            let read = self
                .tcp
                .set_read_timeout(Some(left))
                .and_then(|()| self.tcp.read(&mut byte));
            match read {
                Ok(0) => return Err(self.refused("the server closed the connection")),
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) if line.len() >= MAX_LINE => {
                    return Err(self.refused(&format!("a reply line is over {MAX_LINE} bytes")))
                }
                Ok(_) => line.push(byte[0]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_failed(&e)),
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// A whole SMTP reply (`250-…` lines up to `250 …`), refused unless its code is `code`.
    fn smtp_reply(&mut self, code: &str, to: &str) -> Result<Vec<String>, Finding> {
        let mut lines = Vec::new();
        loop {
            let line = self.line()?;
            if !line.starts_with(code) {
                return Err(self.refused(&format!("the {to} reply is {line:?}, not {code}")));
            }
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                return Ok(lines);
            }
            if lines.len() >= MAX_LINES {
                return Err(self.refused(&format!("the {to} reply is over {MAX_LINES} lines")));
            }
        }
    }

    /// A POP3 `+OK` line.
    fn ok_line(&mut self, to: &str) -> Result<(), Finding> {
        let line = self.line()?;
        match starts_with_ignore_case(&line, "+OK") {
            true => Ok(()),
            false => Err(self.refused(&format!("the {to} reply is {line:?}, not +OK"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::TcpListener;
    use std::time::Duration;

    /// A server on loopback that writes `script`'s replies, each after reading one line (the
    /// first before reading any), and the upgrade's outcome against it.
    fn against(protocol: Starttls, script: &[&str]) -> Result<(), Finding> {
        let script: Vec<String> = script.iter().map(|s| s.to_string()).collect();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        let server = std::thread::spawn(move || {
            let (tcp, _) = listener.accept().expect("accept");
            let mut reader = io::BufReader::new(tcp.try_clone().expect("clone"));
            let mut tcp = tcp;
            for (i, reply) in script.iter().enumerate() {
                if i > 0 {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                }
                let _ = tcp.write_all(reply.as_bytes());
            }
        });
        let mut tcp = TcpStream::connect(address).expect("connect");
        let outcome = upgrade(&mut tcp, protocol, Deadline::after(Duration::from_secs(5)));
        drop(tcp);
        server.join().expect("server");
        outcome
    }

    #[test]
    fn each_protocol_upgrades_when_the_server_agrees() {
        let smtp = [
            "220-mail.example ESMTP\r\n220 ready\r\n",
            "250-mail.example\r\n250-SIZE 100\r\n250 STARTTLS\r\n",
            "220 go ahead\r\n",
        ];
        assert_eq!(against(Starttls::Smtp, &smtp), Ok(()));
        let imap = [
            "* OK IMAP4rev1 ready\r\n",
            "* CAPABILITY IMAP4rev1\r\na1 OK begin TLS\r\n",
        ];
        assert_eq!(against(Starttls::Imap, &imap), Ok(()));
        assert_eq!(
            against(Starttls::Pop3, &["+OK POP3\r\n", "+OK\r\n"]),
            Ok(())
        );
    }

    #[test]
    fn a_refusal_says_what_the_server_answered() {
        let cases: [(Starttls, &[&str], &str); 4] = [
            (
                Starttls::Smtp,
                &["220 ready\r\n", "250-mail\r\n250 SIZE 1\r\n"],
                "does not offer STARTTLS",
            ),
            (Starttls::Smtp, &["554 go away\r\n"], "\"554 go away\""),
            (Starttls::Imap, &["* OK\r\n", "a1 BAD no\r\n"], "a1 BAD no"),
            (Starttls::Pop3, &["SSH-2.0-OpenSSH\r\n"], "not +OK"),
        ];
        for (protocol, script, says) in cases {
            let e = against(protocol, script).expect_err(says);
            assert_eq!(e.kind, FindingKind::StarttlsRefused);
            assert!(e.detail.contains(says), "{}", e.detail);
        }
    }

    #[test]
    fn an_endless_line_is_refused() {
        let long = "2".repeat(MAX_LINE + 10);
        let e = against(Starttls::Smtp, &[&long]).expect_err("long");
        assert!(e.detail.contains("over 4096 bytes"), "{}", e.detail);
    }

    #[test]
    fn protocols_parse_by_name() {
        assert_eq!("SMTP".parse(), Ok(Starttls::Smtp));
        let e = "ftp".parse::<Starttls>().expect_err("ftp");
        assert!(e.contains("smtp, imap or pop3"), "{e}");
    }
}
