//! What the CA sends is checked before anything acts on it: the token, TXT value and thumbprint
//! checks are certdesk-base's (re-exported here); the check of an authorization's identifier,
//! which needs instant-acme's types, is the engine's.

use instant_acme::{AuthorizedIdentifier, Identifier};

pub use certdesk_base::acme::checks::*;

use crate::names::Name;

/// The name among `requested` that an authorization is for. An authorization for any other
/// name or address (or for something that is neither) is refused: the CA must not be told to
/// validate, nor a record be published for, a name the administrator did not ask for.
pub fn requested_name<'a>(
    requested: &'a [Name],
    identifier: &AuthorizedIdentifier<'_>,
) -> Result<&'a Name, Refusal> {
    let asked = || {
        requested
            .iter()
            .map(Name::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let matches = |name: &&Name| match (identifier.identifier, name) {
        (Identifier::Dns(base), Name::Dns(dns)) => {
            dns.is_wildcard() == identifier.wildcard && dns.base().eq_ignore_ascii_case(base)
        }
        (Identifier::Ip(addr), Name::Ip(ip)) => !identifier.wildcard && *addr == ip.addr(),
        _ => false,
    };
    if !matches!(
        identifier.identifier,
        Identifier::Dns(_) | Identifier::Ip(_)
    ) {
        return Err(Refusal::new(format!(
            "an authorization for {}, which is neither a DNS name nor an IP address (the \
             request asked for {})",
            shown(&identifier.to_string()),
            asked()
        )));
    }
    requested.iter().find(matches).ok_or_else(|| {
        Refusal::new(format!(
            "an authorization for {}, a name this request did not ask for (it asked for {})",
            shown(&identifier.to_string()),
            asked()
        ))
    })
}

/// `url`, which the CA gave as its `what` (an order's authorization, a challenge), is followed
/// only when it is an https URL: checked when the order arrives, before anything acts on it.
pub fn https_url(what: &str, url: &str) -> Result<(), Refusal> {
    if crate::acme::directory::is_https(url) {
        return Ok(());
    }
    Err(Refusal::new(format!(
        "the CA gave {what} at {}, which is not an https URL: certdesk talks to a CA over https \
         only and did not follow it",
        shown(url)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<Name> {
        crate::names::validate(list, crate::names::ChallengeType::Dns01).unwrap()
    }

    #[test]
    fn authorizations_are_only_for_requested_names() {
        let requested = names(&["a.example.com", "*.b.example.com"]);
        let dns = |name: &str| Identifier::Dns(name.to_owned());
        let a = dns("a.example.com");
        assert_eq!(
            requested_name(&requested, &a.authorized(false))
                .unwrap()
                .as_str(),
            "a.example.com"
        );
        let upper = dns("A.Example.COM");
        assert!(requested_name(&requested, &upper.authorized(false)).is_ok());
        let b = dns("b.example.com");
        assert_eq!(
            requested_name(&requested, &b.authorized(true))
                .unwrap()
                .as_str(),
            "*.b.example.com"
        );
        // The wildcard was asked for, not the name itself; nor a wildcard of the other name.
        assert!(requested_name(&requested, &b.authorized(false)).is_err());
        assert!(requested_name(&requested, &a.authorized(true)).is_err());
        let other = dns("victim.example.net");
        let refused = requested_name(&requested, &other.authorized(false))
            .unwrap_err()
            .to_string();
        assert_eq!(
            refused,
            "an authorization for \"victim.example.net\", a name this request did not ask for \
             (it asked for a.example.com, *.b.example.com)"
        );
        let ip = Identifier::Ip("192.0.2.1".parse().unwrap());
        let refused = requested_name(&requested, &ip.authorized(false))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("a name this request did not ask for"),
            "{refused}"
        );
        let device = Identifier::PermanentIdentifier("device-1".into());
        let refused = requested_name(&requested, &device.authorized(false))
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("neither a DNS name nor an IP address"),
            "{refused}"
        );
    }

    /// A challenge type certdesk does not know (a CA's newer method) is skipped, not an error:
    /// the authorization still reads and the wanted challenge is found beside it.
    #[test]
    fn unknown_challenge_types_the_ca_offers_are_ignored() {
        let authz: instant_acme::AuthorizationState = serde_json::from_value(serde_json::json!({
            "identifier": {"type": "ip", "value": "127.0.0.1"},
            "status": "pending",
            "challenges": [
                {"type": "made-up-02", "url": "https://ca.test/c/1", "status": "pending"},
                {"type": "tls-alpn-01", "url": "https://ca.test/c/2", "status": "pending",
                 "token": "a-token"}
            ]
        }))
        .unwrap();
        let wanted = authz
            .challenges
            .iter()
            .find(|c| c.r#type == instant_acme::ChallengeType::TlsAlpn01)
            .expect("the known challenge");
        assert_eq!(wanted.token, "a-token");
        assert!(matches!(
            authz.challenges[0].r#type,
            instant_acme::ChallengeType::Unknown(_)
        ));
    }

    #[test]
    fn authorizations_for_addresses_match_the_requested_address() {
        use crate::names::{validate_for, CaScope, ChallengeType};
        let requested = validate_for(
            &["127.0.0.1", "::1"],
            ChallengeType::Http01,
            CaScope::Private,
        )
        .unwrap();
        let v6 = Identifier::Ip("0:0::1".parse().unwrap());
        let found = requested_name(&requested, &v6.authorized(false)).unwrap();
        assert_eq!(found.as_str(), "::1");
        // A DNS identifier spelling the address is not the address.
        let spelled = Identifier::Dns("127.0.0.1".into());
        assert!(requested_name(&requested, &spelled.authorized(false)).is_err());
    }
}
