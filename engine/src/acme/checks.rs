//! What the CA sends is checked before anything acts on it: the token, TXT value and thumbprint
//! checks are certdesk-base's (re-exported here); the check of an authorization's identifier,
//! which needs instant-acme's types, is the engine's.

use instant_acme::{AuthorizedIdentifier, Identifier};

pub use certdesk_base::acme::checks::*;

use crate::names::DomainName;

/// The name among `requested` that an authorization is for. An authorization for any other
/// name (or for something that is not a DNS name) is refused: the CA must not be told to
/// validate, nor a record be published for, a name the administrator did not ask for.
pub fn requested_name<'a>(
    requested: &'a [DomainName],
    identifier: &AuthorizedIdentifier<'_>,
) -> Result<&'a DomainName, Refusal> {
    let asked = || {
        requested
            .iter()
            .map(DomainName::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Identifier::Dns(base) = identifier.identifier else {
        return Err(Refusal::new(format!(
            "an authorization for {}, which is not a DNS name (the request asked for {})",
            shown(&identifier.to_string()),
            asked()
        )));
    };
    requested
        .iter()
        .find(|name| {
            name.is_wildcard() == identifier.wildcard && name.base().eq_ignore_ascii_case(base)
        })
        .ok_or_else(|| {
            Refusal::new(format!(
                "an authorization for {}, a name this request did not ask for (it asked for {})",
                shown(&identifier.to_string()),
                asked()
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<DomainName> {
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
        assert!(refused.contains("not a DNS name"), "{refused}");
    }
}
