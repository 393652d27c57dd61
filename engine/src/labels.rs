//! What the administrator types that is not a domain name: the names given to things (ACME
//! accounts, DNS accounts, deploy mappings) and e-mail addresses, checked before they are saved
//! or used.

use crate::error::{Error, Result};

/// The name of an ACME account or a DNS account ([`validate_name`]).
pub(crate) fn validate_account_name(name: &str) -> Result<()> {
    validate_name("account", name)
}

/// A name the administrator gives a thing (an account, a deploy mapping) to use on the command
/// line: short, and free of spaces and shell characters.
pub(crate) fn validate_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::input(format!(
            "{what} name {name:?} is not valid: use 1 to 64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// An e-mail address as given (an account's contact, a mail's recipient), trimmed: one `@`, a
/// domain with a dot after it, no spaces, commas or control characters.
pub(crate) fn validate_email(email: &str) -> Result<String> {
    let email = email.trim();
    let bad = |why: &str| Error::input(format!("e-mail address {email:?} is not valid: {why}"));
    let (local, domain) = email.split_once('@').ok_or_else(|| bad("it has no '@'"))?;
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(bad("write it as name@example.com"));
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == ',')
    {
        return Err(bad("it contains spaces, commas or control characters"));
    }
    if !domain.contains('.') || domain.starts_with('.') || domain.ends_with('.') {
        return Err(bad(
            "the part after '@' must be a domain name such as example.com",
        ));
    }
    Ok(email.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_trimmed_and_checked() {
        assert_eq!(
            validate_email("  admin@example.com ").unwrap(),
            "admin@example.com"
        );
        for bad in [
            "admin",
            "@example.com",
            "admin@",
            "a@b@example.com",
            "ad min@example.com",
            "admin@example",
            "admin@.example.com",
            "a,b@example.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_are_short_and_free_of_shell_characters() {
        for good in ["le", "lets-encrypt_2.staging", &"a".repeat(64)] {
            assert!(validate_account_name(good).is_ok(), "{good}");
        }
        for bad in ["", "le staging", "le;rm", "le/x", &"a".repeat(65)] {
            assert!(validate_account_name(bad).is_err(), "{bad}");
        }
    }
}
