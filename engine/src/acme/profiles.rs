//! What Let's Encrypt's certificate profiles allow (draft-aaron-acme-profiles), checked before an
//! order is placed: the CA refuses an order that breaks them only after the request was written
//! and an order placed, with a problem that does not say which profile would take the names.
//! One table of facts, applied only to Let's Encrypt's production and staging directories; any
//! other CA's profiles are its own, and its refusal reaches the user whole.

use std::net::IpAddr;

use super::Ca;
use crate::error::{Error, Result};

/// One of Let's Encrypt's profiles as it is documented
/// (<https://letsencrypt.org/docs/profiles/>).
struct Profile {
    name: &'static str,
    /// The most identifiers one order may carry; `None`: the CA's general limit (100).
    max_names: Option<usize>,
    /// Whether IP address identifiers (RFC 8738) are accepted.
    ip_addresses: bool,
    /// The certificate's lifetime, in hours.
    lifetime_hours: u32,
}

/// The profile Let's Encrypt uses when an order names none.
const DEFAULT: &str = "classic";

const LETS_ENCRYPT: [Profile; 3] = [
    Profile {
        name: "classic",
        max_names: None,
        ip_addresses: false,
        lifetime_hours: 90 * 24,
    },
    Profile {
        name: "tlsserver",
        max_names: Some(25),
        ip_addresses: false,
        lifetime_hours: 45 * 24,
    },
    Profile {
        name: "shortlived",
        max_names: None,
        ip_addresses: true,
        lifetime_hours: 160,
    },
];

impl Profile {
    /// What the profile allows, in the words of a refusal.
    fn allows(&self) -> String {
        let names = match self.max_names {
            Some(n) => format!("at most {n} names"),
            None => "up to 100 names".to_owned(),
        };
        let ips = match self.ip_addresses {
            true => "DNS names and IP addresses",
            false => "DNS names only",
        };
        format!(
            "{}: {ips}, {names}, {} hours",
            self.name, self.lifetime_hours
        )
    }
}

/// Refuses an order for `names` under `profile` (`None`: the CA's default) at `ca` that Let's
/// Encrypt would refuse, saying what each of its profiles allows. Names are read as text: an IP
/// address is a name that parses as one.
pub fn check(ca: &Ca, profile: Option<&str>, names: &[&str]) -> Result<()> {
    if !matches!(ca, Ca::LetsEncrypt | Ca::LetsEncryptStaging) {
        return Ok(());
    }
    let chosen = profile.unwrap_or(DEFAULT);
    // A profile not in the table is the CA's to judge (a new one, or a typo it names).
    let Some(facts) = LETS_ENCRYPT.iter().find(|p| p.name == chosen) else {
        return Ok(());
    };
    let which = match profile {
        Some(p) => format!("the {p} profile"),
        None => format!("the CA's default profile ({DEFAULT})"),
    };
    let ips: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| n.parse::<IpAddr>().is_ok())
        .collect();
    let problem = if !facts.ip_addresses && !ips.is_empty() {
        Some(format!(
            "{which} certificates do not take IP addresses ({}): choose --profile shortlived",
            ips.join(", ")
        ))
    } else {
        facts.max_names.filter(|max| names.len() > *max).map(|max| {
            format!(
                "{which} takes at most {max} names and this request has {}: split it, or \
                 choose --profile classic",
                names.len()
            )
        })
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(Error::input(format!(
            "{} would refuse this order, so it was not placed: {problem}. Its profiles allow: {}",
            ca.label(),
            LETS_ENCRYPT
                .iter()
                .map(Profile::allows)
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(ca: &Ca, profile: Option<&str>, names: &[&str]) -> String {
        check(ca, profile, names).expect_err("refused").to_string()
    }

    #[test]
    fn ip_addresses_take_the_shortlived_profile_at_lets_encrypt() {
        let names = ["example.com", "192.0.2.1", "2001:db8::1"];
        for ca in [Ca::LetsEncrypt, Ca::LetsEncryptStaging] {
            let e = refusal(&ca, None, &names);
            assert!(
                e.contains("default profile (classic) certificates do not take IP addresses")
                    && e.contains("192.0.2.1, 2001:db8::1")
                    && e.contains("choose --profile shortlived")
                    && e.contains(
                        "shortlived: DNS names and IP addresses, up to 100 names, 160 hours"
                    ),
                "{e}"
            );
            let e = refusal(&ca, Some("tlsserver"), &names[1..2]);
            assert!(
                e.contains("the tlsserver profile certificates do not take"),
                "{e}"
            );
            assert!(check(&ca, Some("shortlived"), &names).is_ok());
            assert!(check(&ca, None, &["example.com", "www.example.com"]).is_ok());
        }
    }

    #[test]
    fn tlsserver_takes_at_most_25_names() {
        let many: Vec<String> = (0..26).map(|i| format!("n{i}.example.com")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let e = refusal(&Ca::LetsEncrypt, Some("tlsserver"), &many);
        assert!(
            e.contains("takes at most 25 names and this request has 26")
                && e.contains("tlsserver: DNS names only, at most 25 names, 1080 hours")
                && e.contains("classic: DNS names only, up to 100 names, 2160 hours"),
            "{e}"
        );
        assert!(check(&Ca::LetsEncrypt, Some("tlsserver"), &many[..25]).is_ok());
        assert!(check(&Ca::LetsEncrypt, Some("classic"), &many).is_ok());
    }

    #[test]
    fn other_cas_and_unknown_profiles_are_the_cas_to_judge() {
        let other = Ca::custom("https://ca.test/directory").expect("a CA");
        assert!(check(&other, None, &["192.0.2.1"]).is_ok());
        assert!(check(&other, Some("tlsserver"), &["192.0.2.1"]).is_ok());
        assert!(check(&Ca::LetsEncrypt, Some("future"), &["192.0.2.1"]).is_ok());
    }
}
