//! The names of a certificate request, DNS names and IP addresses (RFC 8738): normalised and
//! checked before anything is sent to the CA.
//!
//! The CA checks names too, but it answers one problem at a time, after an account round trip,
//! in words written for ACME developers. Checking here lets an administrator fix every rejected
//! name at once, with a reason that says what to change. The rules follow what public CAs
//! enforce (the CA/Browser Forum Baseline Requirements, and Let's Encrypt's policy in practice):
//! DNS syntax, wildcards only as the whole leftmost label and only with the dns-01 challenge,
//! IP addresses only with http-01 or tls-alpn-01 — and, for a public CA ([`CaScope::Public`]),
//! public names and addresses only. A private ACME CA (step-ca, an internal PKI) issues for
//! internal names and private addresses too; [`private_notice`] says which names rely on that.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use crate::challenge::ChallengeType;
use crate::error::{Error, NameError, Result};

/// The most names one request may have. Public CAs cap the names of a certificate (Let's
/// Encrypt: 100); a longer list would only fail at the CA after the account round trip.
pub const MAX_NAMES: usize = 100;

/// The longest first name. The first name becomes the certificate's subject common name, which
/// X.509 limits to 64 characters (RFC 5280, `ub-common-name`).
pub const MAX_COMMON_NAME_LEN: usize = 64;

/// The longest domain name in its ASCII form, without the trailing dot (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 253;

/// The longest label of a domain name (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A validated domain name: lower-case ASCII (punycode for an internationalised name), without a
/// trailing dot, maybe with a leading `*.` wildcard label.
///
/// [`validate`] is the only way to make one from user input. Deserialisation does not validate
/// again, on purpose: names come back from certdesk's own store, where they were saved after
/// validation, and re-checking them on load would make stored certificates unreadable whenever a
/// newer Public Suffix List or policy changed its mind about an old name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DomainName(String);

impl DomainName {
    /// The name as sent to the CA and written into the certificate.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the name is a wildcard (`*.example.com`).
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// The name without its `*.` wildcard label: what ACME authorises (with its `wildcard`
    /// flag) and where the dns-01 TXT record goes. The name itself when it is not a wildcard.
    pub fn base(&self) -> &str {
        self.0.strip_prefix("*.").unwrap_or(&self.0)
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for DomainName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<DomainName> for String {
    fn from(name: DomainName) -> Self {
        name.0
    }
}

/// An IP address of a certificate (RFC 8738), with the text it is sent and shown as: the
/// shortest form, lower-case for IPv6 (RFC 5952), as [`IpAddr`]'s `Display` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IpName {
    addr: IpAddr,
    text: String,
}

impl IpName {
    /// The address with its normalised text.
    pub fn new(addr: IpAddr) -> Self {
        // An IPv4-mapped IPv6 address is the IPv4 address: that is the one the CA connects to.
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        Self {
            addr,
            text: addr.to_string(),
        }
    }

    /// The address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The address as the CA and the certificate write it.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// One name of a certificate: a DNS name or an IP address, each validated by [`validate`].
/// Stored and shown as its text; read back without validating again (see [`DomainName`]): text
/// that parses as an IP address is one, anything else a DNS name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(type = "string"))]
pub enum Name {
    Dns(DomainName),
    Ip(IpName),
}

impl Name {
    /// The name as sent to the CA and written into the certificate.
    pub fn as_str(&self) -> &str {
        match self {
            Name::Dns(name) => name.as_str(),
            Name::Ip(ip) => ip.as_str(),
        }
    }

    /// Whether the name is a wildcard DNS name (`*.example.com`); an address never is.
    pub fn is_wildcard(&self) -> bool {
        matches!(self, Name::Dns(name) if name.is_wildcard())
    }

    /// The DNS name, when it is one.
    pub fn as_dns(&self) -> Option<&DomainName> {
        match self {
            Name::Dns(name) => Some(name),
            Name::Ip(_) => None,
        }
    }

    /// The IP address, when it is one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Name::Dns(_) => None,
            Name::Ip(ip) => Some(ip.addr()),
        }
    }

    /// What the CA authorises: a DNS name without its `*.` label, or the address.
    pub fn base(&self) -> &str {
        match self {
            Name::Dns(name) => name.base(),
            Name::Ip(ip) => ip.as_str(),
        }
    }

    /// The name as an owned string.
    pub fn into_string(self) -> String {
        match self {
            Name::Dns(name) => name.into_string(),
            Name::Ip(ip) => ip.text,
        }
    }

    /// The stored text as a name, as it was validated when it was stored.
    fn from_stored(text: String) -> Self {
        match text.parse::<IpAddr>() {
            Ok(addr) => Name::Ip(IpName::new(addr)),
            Err(_) => Name::Dns(DomainName(text)),
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<Name> for String {
    fn from(name: Name) -> Self {
        name.into_string()
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(deserializer).map(Name::from_stored)
    }
}

/// Whom the names are for. A public CA (Let's Encrypt, the well-known commercial ones) issues
/// only for names on the public internet; a private ACME CA also for internal names
/// (`.internal`, `.corp`, single labels) and private or loopback addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaScope {
    Public,
    Private,
}

/// Splits what a user typed or pasted in a form into names: one per line, or separated by commas
/// or blanks (pasting from a spreadsheet or an email gives any of these). Empty entries, as from
/// a trailing comma or a blank line, are dropped; nothing else is changed, so that [`validate`]
/// reports each entry as the user wrote it.
pub fn split_input(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .map(str::to_owned)
        .collect()
}

/// [`validate_for`] a public CA: what every name a DNS-only user (the agent, dns-persist-01) or
/// a public CA's request is held to.
pub fn validate<S: AsRef<str>>(names: &[S], challenge: ChallengeType) -> Result<Vec<Name>> {
    validate_for(names, challenge, CaScope::Public)
}

/// Validates and normalises the names of one certificate request for a CA of `scope`.
///
/// The first name, when it is a DNS name, is the certificate's common name; the order is kept.
/// An IP address is kept in its shortest form. A DNS name is trimmed, converted to ASCII
/// (UTS #46 processing, punycode for internationalised labels), lower-cased and stripped of a
/// trailing dot, then checked. Every rejected name is reported, each with its reason, in one
/// [`Error::Names`], so that a form can mark all of them at once. An empty list or one longer
/// than [`MAX_NAMES`] is an [`Error::Input`].
pub fn validate_for<S: AsRef<str>>(
    names: &[S],
    challenge: ChallengeType,
    scope: CaScope,
) -> Result<Vec<Name>> {
    if names.iter().all(|n| n.as_ref().trim().is_empty()) {
        return Err(Error::input(
            "no domain names were given: give at least one, such as \"example.com\"",
        ));
    }
    if names.len() > MAX_NAMES {
        return Err(Error::input(format!(
            "{} names were given, but a certificate can have at most {MAX_NAMES}: \
             split them over several certificates",
            names.len()
        )));
    }

    let mut accepted = Vec::with_capacity(names.len());
    let mut errors = Vec::new();
    // Each normalised name, with the index of its first entry, to report duplicates.
    let mut seen: HashMap<String, usize> = HashMap::new();
    // Whether the first name was rejected only for its length as a common name.
    let mut common_name_too_long = false;

    for (index, raw) in names.iter().enumerate() {
        let typed = raw.as_ref().trim();
        let shown = shown_name(typed, index);
        let normalised = match normalise(typed) {
            Ok(normalised) => normalised,
            Err(reason) => {
                errors.push(NameError {
                    name: shown,
                    reason,
                });
                continue;
            }
        };
        let text = normalised.as_str().to_owned();
        let checked = check(&normalised, challenge, scope).and_then(|()| {
            if let Some(&first) = seen.get(&text) {
                return Err(duplicate_reason(names[first].as_ref().trim(), first, typed));
            }
            if index == 0 && normalised.as_dns().is_some() && text.len() > MAX_COMMON_NAME_LEN {
                common_name_too_long = true;
                return Err(common_name_reason(&text));
            }
            Ok(())
        });
        seen.entry(text).or_insert(index);
        match checked {
            Ok(()) => accepted.push(normalised),
            Err(reason) => errors.push(NameError {
                name: shown,
                reason,
            }),
        }
    }

    if common_name_too_long {
        // Point at a name the user already has that would fit, when there is one.
        let fits = accepted
            .iter()
            .find(|n| n.as_dns().is_some() && n.as_str().len() <= MAX_COMMON_NAME_LEN);
        if let (Some(fits), Some(first)) = (fits, errors.first_mut()) {
            first
                .reason
                .push_str(&format!(", such as {:?}", fits.as_str()));
        }
    }

    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(Error::Names(errors))
    }
}

/// The name as reported back: as typed (trimmed), with control characters escaped so that the
/// report stays on one line, or the entry's position when it is empty.
fn shown_name(typed: &str, index: usize) -> String {
    if typed.is_empty() {
        format!("(entry {})", index + 1)
    } else if typed.chars().any(char::is_control) {
        typed.escape_debug().to_string()
    } else {
        typed.to_owned()
    }
}

/// Converts a typed name to the form that is sent to the CA — an address in its shortest form,
/// a DNS name in ASCII — or says why it cannot be one. Only what must be known before the name
/// can be read as DNS labels is checked here: the rest is in [`check`].
fn normalise(typed: &str) -> Result<Name, String> {
    if typed.is_empty() {
        return Err("the entry is empty: remove it or give a domain name".to_owned());
    }
    if let Some(host) = url_host(typed) {
        return Err(format!(
            "is a URL, not a domain name: give only the host name, such as {host:?}"
        ));
    }
    if let Some(ip) = ip_address(typed) {
        return ip.map(Name::Ip);
    }
    let ascii = idna::domain_to_ascii(typed).map_err(|_| idna_reason(typed))?;
    let ascii = ascii.strip_suffix('.').unwrap_or(&ascii).to_owned();
    if ascii.is_empty() {
        return Err("is not a domain name: it has no labels".to_owned());
    }
    // Full-width digits and dots become an IP address only once mapped.
    if let Some(ip) = ip_address(&ascii) {
        return ip.map(Name::Ip);
    }
    if let Some(port) = port_suffix(&ascii) {
        return Err(format!(
            "has a port number ({port:?}): give the name without it; a certificate \
             covers the name on every port"
        ));
    }
    Ok(Name::Dns(DomainName(ascii)))
}

/// The host of `text` when it looks like a URL (`https://example.com/path`), to suggest it.
fn url_host(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = authority.rsplit('@').next().unwrap_or(authority);
    // Drop a port, but not the colons of a bracketed IPv6 address.
    let host = match host.rfind(':') {
        Some(colon) if !host.ends_with(']') => &host[..colon],
        _ => host,
    };
    Some(host)
}

/// The IPv4 or IPv6 address `text` is, also written with brackets or a trailing dot as people
/// copy them from URLs and tools; `None` when it is not one. An address with an IPv6 zone
/// (`fe80::1%eth0`) is one, but refused: a zone names an interface of one computer, which no
/// certificate can.
fn ip_address(text: &str) -> Option<Result<IpName, String>> {
    let text = text.strip_suffix('.').unwrap_or(text);
    let text = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    let (addr, zone) = match text.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (text, None),
    };
    let addr = addr.parse::<IpAddr>().ok()?;
    Some(match zone {
        Some(zone) => Err(format!(
            "has an IPv6 zone ({zone:?}), which names an interface of one computer: give the \
             address without it"
        )),
        None => Ok(IpName::new(addr)),
    })
}

/// Why a public CA refuses an address that is not on the public internet.
fn ip_reason() -> String {
    "IP addresses cannot be in a certificate from this CA: give a domain name that points to \
     the address"
        .to_owned()
}

/// Whether `addr` is reachable on the public internet, so that a public CA may issue for it:
/// not private, loopback, link-local, shared (CGNAT), documentation, multicast or reserved.
fn is_public_ip(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(v4: Ipv4Addr) -> bool {
    let [a, b, ..] = v4.octets();
    let shared = a == 100 && (64..128).contains(&b);
    let reserved = a >= 240 || a == 0;
    !(v4.is_private()
        || v4.is_loopback()
        || v4.is_link_local()
        || v4.is_documentation()
        || v4.is_multicast()
        || v4.is_broadcast()
        || shared
        || reserved)
}

fn is_public_v6(v6: Ipv6Addr) -> bool {
    let first = v6.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00;
    let link_local = first & 0xffc0 == 0xfe80;
    let documentation = first == 0x2001 && v6.segments()[1] == 0x0db8;
    // Only the global unicast block 2000::/3 is on the public internet.
    let global = first & 0xe000 == 0x2000;
    global && !(unique_local || link_local || documentation)
}

/// The `:port` at the end of `name` (`example.com:8443`), which people copy along with the host.
fn port_suffix(name: &str) -> Option<&str> {
    let colon = name.rfind(':')?;
    let port = &name[colon + 1..];
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then(|| &name[colon..])
}

/// Why UTS #46 refused `typed`. The `idna` crate does not say, so the name is narrowed down to
/// the first label that fails on its own, then to the first character that does, which is
/// usually the one to fix.
fn idna_reason(typed: &str) -> String {
    // The label separators of UTS #46: full stop, ideographic, full-width and half-width ones.
    let labels = typed.split(['.', '\u{3002}', '\u{ff0e}', '\u{ff61}']);
    for label in labels {
        if idna::domain_to_ascii(label).is_ok() {
            continue;
        }
        if label
            .get(..4)
            .is_some_and(|prefix| prefix.eq_ignore_ascii_case("xn--"))
        {
            return format!(
                "label {label:?} starts with \"xn--\" but is not a valid punycode encoding of \
                 an internationalised label: type the name in its own script instead"
            );
        }
        // A character that fails alone and after a letter is forbidden; one that fails only
        // alone (a combining mark) is misplaced, which is said below.
        let bad = label.chars().find(|&c| {
            idna::domain_to_ascii(&c.to_string()).is_err()
                && idna::domain_to_ascii(&format!("a{c}")).is_err()
        });
        return match bad {
            Some(c) => format!(
                "label {label:?} has a character that cannot be in a domain name, {} \
                 (IDNA rules, UTS #46)",
                describe_char(c)
            ),
            None => format!(
                "label {label:?} is not a valid internationalised label: its characters are \
                 allowed, but not in this combination (IDNA rules, UTS #46)"
            ),
        };
    }
    "is not a valid internationalised domain name: its labels are allowed one by one, but not \
     together, as when right-to-left and left-to-right labels are mixed (IDNA rules, UTS #46)"
        .to_owned()
}

/// A character as a user can find it in what they typed.
fn describe_char(c: char) -> String {
    if c == ' ' {
        "a space".to_owned()
    } else if c.is_ascii_graphic() {
        format!("\"{c}\"")
    } else if c.is_control() || c.is_whitespace() || !c.is_alphanumeric() {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("\"{c}\" (U+{:04X})", u32::from(c))
    }
}

/// Checks a normalised name against the challenge and, for a public CA, its policy.
fn check(name: &Name, challenge: ChallengeType, scope: CaScope) -> Result<(), String> {
    match name {
        Name::Dns(dns) => check_dns(dns.as_str(), challenge, scope),
        Name::Ip(ip) => check_ip(ip.addr(), challenge, scope),
    }
}

/// An address is proven by connecting to it (http-01, tls-alpn-01; RFC 8738 §7), and a public
/// CA issues only for a public one.
fn check_ip(addr: IpAddr, challenge: ChallengeType, scope: CaScope) -> Result<(), String> {
    if scope == CaScope::Public && !is_public_ip(addr) {
        return Err(ip_reason());
    }
    if challenge == ChallengeType::Dns01 {
        return Err(format!(
            "is an IP address, which has no DNS zone to publish a dns-01 record in: choose \
             http-01 or tls-alpn-01 for it (the CA connects to {addr})"
        ));
    }
    Ok(())
}

/// Checks a normalised DNS name against DNS syntax and, for a public CA, its policy: reserved
/// names, single labels and the public suffix list; and wildcards.
fn check_dns(name: &str, challenge: ChallengeType, scope: CaScope) -> Result<(), String> {
    let (wildcard, base) = match name.strip_prefix("*.") {
        Some(base) => (true, base),
        None => (false, name),
    };
    if base.contains('*') {
        return Err(
            "has a \"*\" that is not the whole leftmost label: a wildcard must look like \
             \"*.example.com\", with one \"*\" and nothing else in its label"
                .to_owned(),
        );
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "is {} characters long{}; a domain name can have at most {MAX_NAME_LEN}",
            name.len(),
            if name.contains("xn--") {
                " in its ASCII (punycode) form"
            } else {
                ""
            }
        ));
    }
    if base.parse::<IpAddr>().is_ok() {
        return Err(
            "is a wildcard over an IP address: an address has no names under it; give the \
             address itself"
                .to_owned(),
        );
    }
    for label in base.split('.') {
        check_label(label)?;
    }
    if base
        .rsplit('.')
        .next()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(
            "ends in a label of digits only, which no top-level domain is: give the name or \
             the IP address in full"
                .to_owned(),
        );
    }
    if scope == CaScope::Public {
        check_public_name(base, wildcard)?;
    }
    if wildcard && !challenge.allows_wildcards() {
        return Err(format!(
            "wildcards need the dns-01 challenge, but this request uses {challenge}: choose \
             dns-01, or list the names under {base:?} one by one"
        ));
    }
    Ok(())
}

/// A public CA's policy for a DNS name: no reserved or internal names, no single labels, and a
/// name under a known public suffix.
fn check_public_name(base: &str, wildcard: bool) -> Result<(), String> {
    if let Some(reason) = reserved_reason(base) {
        return Err(reason);
    }
    if !wildcard && !base.contains('.') {
        return Err(format!(
            "{base:?} is a single label, not a public domain name: give the full name, such as \
             \"{base}.example.com\""
        ));
    }
    check_public_suffix(base, wildcard)
}

/// The notice a request for a private CA carries when some of its names are ones a public CA
/// would refuse (internal names, private addresses): they are accepted only because the CA is
/// private, and would not be by Let's Encrypt. `None` when every name is public.
pub fn private_notice(names: &[Name]) -> Option<String> {
    let internal: Vec<&str> = names
        .iter()
        .filter(|name| match name {
            Name::Dns(dns) => check_public_name(dns.base(), dns.is_wildcard()).is_err(),
            Name::Ip(ip) => !is_public_ip(ip.addr()),
        })
        .map(Name::as_str)
        .collect();
    (!internal.is_empty()).then(|| {
        format!(
            "{} {} accepted only because this CA is a private one (a custom directory): a \
             public CA such as Let's Encrypt would refuse {}",
            internal.join(", "),
            if internal.len() == 1 { "is" } else { "are" },
            if internal.len() == 1 { "it" } else { "them" },
        )
    })
}

/// Checks one label of the ASCII form against DNS syntax (RFC 1035 §2.3.1, RFC 5891 §4.2.3.1).
fn check_label(label: &str) -> Result<(), String> {
    if label.is_empty() {
        return Err(
            "has an empty label: two dots in a row, or a dot at the start or the end".to_owned(),
        );
    }
    let shown = show_label(label);
    if label.len() > MAX_LABEL_LEN {
        return Err(format!(
            "label {shown} is {} characters long{}; a label can have at most {MAX_LABEL_LEN}",
            label.len(),
            if label.starts_with("xn--") {
                " in its ASCII (punycode) form"
            } else {
                ""
            }
        ));
    }
    if let Some(c) = label
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "label {shown} has a character that is not allowed, {} (only letters, digits and \
             hyphens)",
            describe_char(c)
        ));
    }
    // A leading or trailing hyphen hides inside punycode: "-x" encodes as "xn---x-…".
    let unicode = decoded_label(label);
    let letters = unicode.as_deref().unwrap_or(label);
    if letters.starts_with('-') {
        return Err(format!("label {shown} starts with a hyphen"));
    }
    if letters.ends_with('-') {
        return Err(format!("label {shown} ends with a hyphen"));
    }
    if unicode.is_none() && label.get(2..4) == Some("--") {
        return Err(format!(
            "label {shown} has \"--\" as its third and fourth characters, which is reserved \
             for internationalised labels (\"xn--\")"
        ));
    }
    Ok(())
}

/// The Unicode text of a punycode (`xn--`) label.
fn decoded_label(label: &str) -> Option<String> {
    idna::punycode::decode_to_string(label.strip_prefix("xn--")?)
}

/// A label quoted for a message, with its Unicode text when it is punycode, since that is what
/// the user typed.
fn show_label(label: &str) -> String {
    match decoded_label(label) {
        Some(unicode) => format!("{unicode:?} ({label})"),
        None => format!("{label:?}"),
    }
}

/// Suffixes that are not on the public internet, with why. Some are reserved (RFCs, ICANN); the
/// others are used inside many private networks without being top-level domains. The ones that
/// are not in the Public Suffix List would be refused by [`check_public_suffix`] anyway, but with
/// a less helpful reason.
const RESERVED_SUFFIXES: &[(&str, &str)] = &[
    ("localhost", "reserved for this computer itself (RFC 6761)"),
    (
        "local",
        "reserved for multicast DNS on local networks (RFC 6762)",
    ),
    ("home.arpa", "reserved for home networks (RFC 8375)"),
    ("internal", "reserved by ICANN for private networks"),
    ("test", "reserved for testing (RFC 2606)"),
    ("example", "reserved for documentation (RFC 2606)"),
    (
        "invalid",
        "reserved for names that must not resolve (RFC 2606)",
    ),
    (
        "lan",
        "used inside private networks; it is not a public top-level domain",
    ),
    (
        "home",
        "used inside private networks; it is not a public top-level domain",
    ),
    (
        "corp",
        "used inside private networks; it is not a public top-level domain",
    ),
];

/// Why `base` is refused when it is, or is under, a reserved or internal suffix.
fn reserved_reason(base: &str) -> Option<String> {
    RESERVED_SUFFIXES.iter().find_map(|&(suffix, why)| {
        let shown = if base == suffix {
            format!("{suffix:?}")
        } else if base.ends_with(suffix) && base[..base.len() - suffix.len()].ends_with('.') {
            format!("\".{suffix}\"")
        } else {
            return None;
        };
        Some(format!(
            "{shown} is {why}: a public CA does not issue certificates for it"
        ))
    })
}

/// Checks `base` against the Public Suffix List: its top-level domain must be known, and it must
/// not itself be a suffix under which anyone can register names (`com`, `co.uk`), nor may a
/// wildcard sit directly on one.
///
/// Only the list's ICANN section decides what is a suffix, as the Baseline Requirements
/// (§3.2.2.6) tell CAs to do: its private section (`github.io`, `blogspot.com`) lists domains
/// that a company owns and can prove control of, so the CA issues for them.
fn check_public_suffix(base: &str, wildcard: bool) -> Result<(), String> {
    let suffix = psl::suffix(base.as_bytes());
    let known = suffix.and_then(|s| s.typ());
    if known.is_none() {
        let tld = base.rsplit('.').next().unwrap_or(base);
        return Err(format!(
            "\".{tld}\" is not a known top-level domain (it is not in the Public Suffix List), \
             so a public CA cannot issue for it; if it is a new one, certdesk's copy of the \
             list is out of date"
        ));
    }
    let is_suffix =
        known == Some(psl::Type::Icann) && suffix.is_some_and(|s| s.as_bytes().len() == base.len());
    if !is_suffix {
        return Ok(());
    }
    if wildcard {
        Err(format!(
            "a wildcard directly under the public suffix {base:?} would cover everyone's names \
             under it: use a wildcard under your own domain, such as \"*.example.{base}\""
        ))
    } else {
        Err(format!(
            "{base:?} is a public suffix, under which anyone can register names: a certificate \
             must be for a name under it, such as \"example.{base}\""
        ))
    }
}

/// Why a name is refused as a repeat of an earlier entry. Entries that differ only in case, a
/// trailing dot or script (`münchen.de` and `xn--mnchen-3ya.de`) are the same name to the CA,
/// which refuses an order listing one twice.
fn duplicate_reason(earlier: &str, earlier_index: usize, typed: &str) -> String {
    if earlier == typed {
        format!(
            "is listed twice: it is the same as entry {}",
            earlier_index + 1
        )
    } else {
        format!(
            "is the same name as entry {} ({earlier:?}) once normalised: list it once",
            earlier_index + 1
        )
    }
}

/// Why the first name is refused as a common name.
fn common_name_reason(name: &str) -> String {
    format!(
        "is {} characters long, but the first name becomes the certificate's common name, which \
         can have at most {MAX_COMMON_NAME_LEN}: put a shorter name first",
        name.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names `validate` accepts, as strings; panics with the error otherwise.
    fn accepted(names: &[&str], challenge: ChallengeType) -> Vec<String> {
        match validate(names, challenge) {
            Ok(names) => names.into_iter().map(String::from).collect(),
            Err(e) => panic!("{names:?} should be accepted, got: {e}"),
        }
    }

    /// The rejected names with their reasons; panics unless `validate` rejected names.
    fn rejected(names: &[&str], challenge: ChallengeType) -> Vec<(String, String)> {
        match validate(names, challenge) {
            Err(Error::Names(errors)) => errors.into_iter().map(|e| (e.name, e.reason)).collect(),
            other => panic!("{names:?} should be rejected, got: {other:?}"),
        }
    }

    /// The reason one name alone is rejected with, under http-01.
    fn reason(name: &str) -> String {
        reason_with(name, ChallengeType::Http01)
    }

    fn reason_with(name: &str, challenge: ChallengeType) -> String {
        let errors = rejected(&[name], challenge);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].0, name.trim());
        errors[0].1.clone()
    }

    /// The message of an `Error::Input`; panics on anything else.
    fn input_error<S: AsRef<str>>(names: &[S]) -> String {
        match validate(names, ChallengeType::Http01) {
            Err(Error::Input(msg)) => msg,
            other => panic!("expected an input error, got {other:?}"),
        }
    }

    const HTTP: ChallengeType = ChallengeType::Http01;
    const DNS: ChallengeType = ChallengeType::Dns01;

    // --- accepted names -------------------------------------------------------------------

    #[test]
    fn common_public_names_are_accepted() {
        let names = [
            "example.com",
            "www.example.org",
            "a.b.example.co.uk",
            "foo.example.com",
            "test1.example.net",
            "xn--mnchen-3ya.de",
            "a-b.example.com",
            "123.example.com",
            "foo.github.io",
        ];
        assert_eq!(accepted(&names, HTTP), names);
    }

    #[test]
    fn wildcard_is_accepted_with_dns01() {
        let names = accepted(&["example.com", "*.example.com"], DNS);
        assert_eq!(names, ["example.com", "*.example.com"]);
    }

    #[test]
    fn order_is_kept_and_first_is_first() {
        let names = accepted(&["b.example.com", "a.example.com", "c.example.com"], HTTP);
        assert_eq!(names, ["b.example.com", "a.example.com", "c.example.com"]);
    }

    #[test]
    fn names_are_trimmed_lower_cased_and_lose_a_trailing_dot() {
        let names = accepted(
            &[
                "  Example.COM  ",
                "WWW.Example.org.",
                "\tmail.example.net\n",
            ],
            HTTP,
        );
        assert_eq!(
            names,
            ["example.com", "www.example.org", "mail.example.net"]
        );
    }

    #[test]
    fn internationalised_names_become_punycode() {
        let names = accepted(&["münchen.de", "MÜNCHEN.example.com"], HTTP);
        assert_eq!(names, ["xn--mnchen-3ya.de", "xn--mnchen-3ya.example.com"]);
        // UTS #46 maps full-width letters and ideographic full stops too.
        let names = accepted(&["ｅｘａｍｐｌｅ．ｃｏｍ", "www。example。org"], HTTP);
        assert_eq!(names, ["example.com", "www.example.org"]);
    }

    #[test]
    fn internationalised_top_level_domains_are_known() {
        assert_eq!(accepted(&["пример.рф"], HTTP), ["xn--e1afmkfd.xn--p1ai"]);
        assert_eq!(
            accepted(&["xn--e1afmkfd.xn--p1ai"], HTTP),
            ["xn--e1afmkfd.xn--p1ai"]
        );
    }

    #[test]
    fn private_section_suffixes_are_not_public_suffixes_for_the_ca() {
        // The owner of a private-section entry can prove control of it.
        assert_eq!(accepted(&["github.io"], HTTP), ["github.io"]);
        assert_eq!(accepted(&["*.github.io"], DNS), ["*.github.io"]);
    }

    #[test]
    fn limits_are_inclusive() {
        let label63 = "a".repeat(63);
        let cn64 = format!("{}.example.com", "a".repeat(64 - ".example.com".len()));
        assert_eq!(cn64.len(), 64);
        let long253 = format!(
            "{0}.{0}.{0}.{1}.com",
            "a".repeat(63),
            "b".repeat(253 - 3 * 64 - 4)
        );
        assert_eq!(long253.len(), 253);
        let names = [
            cn64.clone(),
            format!("{label63}.example.com"),
            long253.clone(),
        ];
        let got: Vec<String> = validate(&names, HTTP)
            .unwrap()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(got, names);
        let hundred: Vec<String> = (0..100).map(|i| format!("n{i}.example.com")).collect();
        assert_eq!(validate(&hundred, HTTP).unwrap().len(), 100);
    }

    // --- list-level errors ----------------------------------------------------------------

    #[test]
    fn no_names_is_an_input_error() {
        let none: [&str; 0] = [];
        let msg = "no domain names were given: give at least one, such as \"example.com\"";
        assert_eq!(input_error(&none), msg);
        assert_eq!(input_error(&["", "  "]), msg);
    }

    #[test]
    fn more_than_100_names_is_an_input_error() {
        let names: Vec<String> = (0..101).map(|i| format!("n{i}.example.com")).collect();
        assert_eq!(
            input_error(&names),
            "101 names were given, but a certificate can have at most 100: split them over \
             several certificates"
        );
    }

    // --- one rule per test, with the message the user sees -----------------------------

    #[test]
    fn empty_entry_among_names() {
        let errors = rejected(&["example.com", " "], HTTP);
        assert_eq!(
            errors,
            [(
                "(entry 2)".to_owned(),
                "the entry is empty: remove it or give a domain name".to_owned()
            )]
        );
    }

    #[test]
    fn disallowed_character() {
        assert_eq!(
            reason("foo_bar.example.com"),
            "label \"foo_bar\" has a character that is not allowed, \"_\" (only letters, \
             digits and hyphens)"
        );
        assert_eq!(
            reason("foo bar.example.com"),
            "label \"foo bar\" has a character that is not allowed, a space (only letters, \
             digits and hyphens)"
        );
        assert_eq!(
            reason("me@example.com"),
            "label \"me@example\" has a character that is not allowed, \"@\" (only letters, \
             digits and hyphens)"
        );
    }

    #[test]
    fn control_characters_are_escaped_in_the_report() {
        let errors = rejected(&["a\u{1}b.example.com"], HTTP);
        assert_eq!(errors[0].0, "a\\u{1}b.example.com");
        assert_eq!(
            errors[0].1,
            "label \"a\\u{1}b\" has a character that is not allowed, U+0001 (only letters, \
             digits and hyphens)"
        );
    }

    #[test]
    fn empty_label() {
        let msg = "has an empty label: two dots in a row, or a dot at the start or the end";
        assert_eq!(reason("a..example.com"), msg);
        assert_eq!(reason(".example.com"), msg);
        assert_eq!(reason("example.com.."), msg);
        assert_eq!(reason("."), "is not a domain name: it has no labels");
    }

    #[test]
    fn label_too_long() {
        let label = "a".repeat(64);
        assert_eq!(
            reason(&format!("{label}.example.com")),
            format!("label \"{label}\" is 64 characters long; a label can have at most 63")
        );
    }

    #[test]
    fn punycode_label_too_long_names_the_typed_label() {
        // Ideographs far apart, which punycode cannot compress much: 24 of them take 69 letters.
        let label: String = (0..24u32)
            .filter_map(|i| char::from_u32(0x4e00 + i * 97))
            .collect();
        let name = format!("{label}.example.com");
        let punycode = idna::domain_to_ascii(&label).unwrap();
        assert_eq!(punycode.len(), 69);
        assert_eq!(
            reason(&name),
            format!(
                "label \"{label}\" ({punycode}) is 69 characters long in its ASCII (punycode) \
                 form; a label can have at most 63"
            )
        );
    }

    #[test]
    fn name_too_long() {
        let name = format!("{0}.{0}.{0}.{0}.com", "a".repeat(62));
        assert_eq!(name.len(), 255);
        assert_eq!(
            reason(&name),
            "is 255 characters long; a domain name can have at most 253"
        );
    }

    #[test]
    fn hyphens_at_the_ends_of_a_label() {
        assert_eq!(
            reason("-foo.example.com"),
            "label \"-foo\" starts with a hyphen"
        );
        assert_eq!(
            reason("foo-.example.com"),
            "label \"foo-\" ends with a hyphen"
        );
        // Hidden in punycode: "-münchen" is "xn---mnchen-o2a".
        assert_eq!(
            reason("-münchen.de"),
            "label \"-münchen\" (xn---mnchen-o2a) starts with a hyphen"
        );
    }

    #[test]
    fn reserved_hyphens_in_third_and_fourth_place() {
        assert_eq!(
            reason("ab--cd.example.com"),
            "label \"ab--cd\" has \"--\" as its third and fourth characters, which is reserved \
             for internationalised labels (\"xn--\")"
        );
    }

    #[test]
    fn invalid_punycode() {
        assert_eq!(
            reason("xn--zz.example.com"),
            "label \"xn--zz\" starts with \"xn--\" but is not a valid punycode encoding of an \
             internationalised label: type the name in its own script instead"
        );
    }

    #[test]
    fn character_that_idna_forbids() {
        assert_eq!(
            reason("a\u{200d}b.example.com"),
            "label \"a\\u{200d}b\" has a character that cannot be in a domain name, U+200D \
             (IDNA rules, UTS #46)"
        );
    }

    #[test]
    fn idna_reason_copes_with_multibyte_characters_near_the_start() {
        // U+200D spans bytes 2 to 4 of the label: looking for "xn--" must not split it.
        assert_eq!(
            reason("ab\u{200d}c.example.com"),
            "label \"ab\\u{200d}c\" has a character that cannot be in a domain name, U+200D \
             (IDNA rules, UTS #46)"
        );
    }

    #[test]
    fn idna_combination_that_is_not_allowed() {
        // A combining mark may not start a label, though it is allowed after a letter.
        assert_eq!(
            reason("\u{301}a.example.com"),
            "label \"\\u{301}a\" is not a valid internationalised label: its characters are \
             allowed, but not in this combination (IDNA rules, UTS #46)"
        );
    }

    #[test]
    fn idna_bidi_across_labels() {
        // Each label is fine alone; a right-to-left label beside one starting with a digit is not.
        assert_eq!(
            reason("1a.\u{5d0}.example.com"),
            "is not a valid internationalised domain name: its labels are allowed one by one, \
             but not together, as when right-to-left and left-to-right labels are mixed (IDNA \
             rules, UTS #46)"
        );
    }

    #[test]
    fn wildcard_in_the_wrong_place() {
        let msg = "has a \"*\" that is not the whole leftmost label: a wildcard must look like \
                   \"*.example.com\", with one \"*\" and nothing else in its label";
        for name in [
            "a*.example.com",
            "*.*.example.com",
            "*",
            "www.*.example.com",
            "*example.com",
        ] {
            assert_eq!(reason_with(name, DNS), msg, "{name}");
        }
    }

    #[test]
    fn wildcard_needs_dns01() {
        assert_eq!(
            reason("*.example.com"),
            "wildcards need the dns-01 challenge, but this request uses http-01: choose dns-01, \
             or list the names under \"example.com\" one by one"
        );
    }

    #[test]
    fn first_name_too_long_for_the_common_name() {
        let long = format!("{}.example.com", "a".repeat(53));
        assert_eq!(long.len(), 65);
        assert_eq!(
            reason(&long),
            "is 65 characters long, but the first name becomes the certificate's common name, \
             which can have at most 64: put a shorter name first"
        );
        // The same name is fine when it is not first.
        assert_eq!(accepted(&["example.com", &long], HTTP)[1], long);
    }

    #[test]
    fn common_name_message_suggests_a_name_that_fits() {
        let long = format!("{}.example.com", "a".repeat(53));
        let errors = rejected(&[&long, "example.com"], HTTP);
        assert_eq!(
            errors,
            [(
                long.clone(),
                "is 65 characters long, but the first name becomes the certificate's common \
                 name, which can have at most 64: put a shorter name first, such as \
                 \"example.com\""
                    .to_owned()
            )]
        );
    }

    #[test]
    fn duplicates_name_the_earlier_entry() {
        let errors = rejected(
            &[
                "example.com",
                "www.example.com",
                "Example.COM.",
                "www.example.com",
            ],
            HTTP,
        );
        assert_eq!(
            errors,
            [
                (
                    "Example.COM.".to_owned(),
                    "is the same name as entry 1 (\"example.com\") once normalised: list it once"
                        .to_owned()
                ),
                (
                    "www.example.com".to_owned(),
                    "is listed twice: it is the same as entry 2".to_owned()
                ),
            ]
        );
        let errors = rejected(&["münchen.de", "xn--mnchen-3ya.de"], HTTP);
        assert_eq!(
            errors[0].1,
            "is the same name as entry 1 (\"münchen.de\") once normalised: list it once"
        );
    }

    #[test]
    fn wildcard_and_its_base_are_not_duplicates() {
        assert_eq!(
            accepted(&["*.example.com", "example.com"], DNS),
            ["*.example.com", "example.com"]
        );
    }

    #[test]
    fn ip_addresses() {
        let msg = "IP addresses cannot be in a certificate from this CA: give a domain name that \
                   points to the address";
        for name in [
            "192.0.2.1",
            "192.0.2.1.",
            "::1",
            "[2001:db8::1]",
            "１９２．０．２．１",
        ] {
            assert_eq!(reason(name), msg, "{name}");
        }
    }

    #[test]
    fn urls_and_ports() {
        assert_eq!(
            reason("https://www.example.com/path"),
            "is a URL, not a domain name: give only the host name, such as \"www.example.com\""
        );
        assert_eq!(
            reason("https://user@www.example.com:8443"),
            "is a URL, not a domain name: give only the host name, such as \"www.example.com\""
        );
        assert_eq!(
            reason("www.example.com:8443"),
            "has a port number (\":8443\"): give the name without it; a certificate covers \
             the name on every port"
        );
    }

    #[test]
    fn single_label_names() {
        assert_eq!(
            reason("intranet"),
            "\"intranet\" is a single label, not a public domain name: give the full name, such \
             as \"intranet.example.com\""
        );
        assert_eq!(
            reason("localhost"),
            "\"localhost\" is reserved for this computer itself (RFC 6761): a public CA does not \
             issue certificates for it"
        );
    }

    #[test]
    fn reserved_and_internal_suffixes() {
        let cases = [
            (
                "printer.local",
                "\".local\" is reserved for multicast DNS on local networks (RFC 6762)",
            ),
            (
                "app.localhost",
                "\".localhost\" is reserved for this computer itself (RFC 6761)",
            ),
            (
                "db.internal",
                "\".internal\" is reserved by ICANN for private networks",
            ),
            ("a.test", "\".test\" is reserved for testing (RFC 2606)"),
            (
                "www.example",
                "\".example\" is reserved for documentation (RFC 2606)",
            ),
            (
                "x.invalid",
                "\".invalid\" is reserved for names that must not resolve (RFC 2606)",
            ),
            (
                "nas.lan",
                "\".lan\" is used inside private networks; it is not a public top-level domain",
            ),
            (
                "router.home.arpa",
                "\".home.arpa\" is reserved for home networks (RFC 8375)",
            ),
            (
                "mail.corp",
                "\".corp\" is used inside private networks; it is not a public top-level domain",
            ),
            (
                "tv.home",
                "\".home\" is used inside private networks; it is not a public top-level domain",
            ),
            (
                "home.arpa",
                "\"home.arpa\" is reserved for home networks (RFC 8375)",
            ),
        ];
        for (name, why) in cases {
            assert_eq!(
                reason(name),
                format!("{why}: a public CA does not issue certificates for it"),
                "{name}"
            );
        }
        // Also as wildcards, and whatever the case or trailing dot.
        assert_eq!(
            reason_with("*.Printer.LOCAL.", DNS),
            "\".local\" is reserved for multicast DNS on local networks (RFC 6762): a public CA \
             does not issue certificates for it"
        );
    }

    #[test]
    fn reserved_words_inside_public_names_are_fine() {
        let names = [
            "local.example.com",
            "test.example.org",
            "mylocal.com",
            "home.example.net",
            "example.com",
        ];
        assert_eq!(accepted(&names, HTTP), names);
    }

    #[test]
    fn unknown_top_level_domain() {
        assert_eq!(
            reason("foo.notarealtld"),
            "\".notarealtld\" is not a known top-level domain (it is not in the Public Suffix \
             List), so a public CA cannot issue for it; if it is a new one, certdesk's copy of \
             the list is out of date"
        );
        // A wildcard over an unknown single label says the same.
        assert_eq!(
            reason_with("*.intranet", DNS),
            "\".intranet\" is not a known top-level domain (it is not in the Public Suffix \
             List), so a public CA cannot issue for it; if it is a new one, certdesk's copy of \
             the list is out of date"
        );
    }

    #[test]
    fn public_suffixes_themselves() {
        assert_eq!(
            reason("co.uk"),
            "\"co.uk\" is a public suffix, under which anyone can register names: a certificate \
             must be for a name under it, such as \"example.co.uk\""
        );
        assert_eq!(
            reason("com"),
            "\"com\" is a single label, not a public domain name: give the full name, such as \
             \"com.example.com\""
        );
        // Under a wildcard rule of the list (*.kawasaki.jp), the next label is a suffix too.
        assert_eq!(
            reason("foo.kawasaki.jp"),
            "\"foo.kawasaki.jp\" is a public suffix, under which anyone can register names: a \
             certificate must be for a name under it, such as \"example.foo.kawasaki.jp\""
        );
    }

    #[test]
    fn wildcard_directly_over_a_public_suffix() {
        assert_eq!(
            reason_with("*.co.uk", DNS),
            "a wildcard directly under the public suffix \"co.uk\" would cover everyone's names \
             under it: use a wildcard under your own domain, such as \"*.example.co.uk\""
        );
        assert_eq!(
            reason_with("*.com", DNS),
            "a wildcard directly under the public suffix \"com\" would cover everyone's names \
             under it: use a wildcard under your own domain, such as \"*.example.com\""
        );
        assert_eq!(accepted(&["*.example.co.uk"], DNS), ["*.example.co.uk"]);
    }

    // --- all rejected names of one call are listed together -----------------------------

    #[test]
    fn every_rejected_name_is_listed_in_order() {
        let names = [
            "example.com",
            "foo_bar.example.com",
            "192.0.2.1",
            "www.example.com",
            "printer.local",
            "*.example.com",
            "co.uk",
            "EXAMPLE.com",
        ];
        let errors = rejected(&names, HTTP);
        let rejected_names: Vec<&str> = errors.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            rejected_names,
            [
                "foo_bar.example.com",
                "192.0.2.1",
                "printer.local",
                "*.example.com",
                "co.uk",
                "EXAMPLE.com"
            ]
        );
        assert!(errors[3]
            .1
            .starts_with("wildcards need the dns-01 challenge"));
        assert!(errors[5].1.starts_with("is the same name as entry 1"));
    }

    #[test]
    fn rejected_names_are_shown_together_to_the_user() {
        let err = validate(&["example.com", "a..example.com", "intranet"], HTTP).unwrap_err();
        assert_eq!(
            err.to_string(),
            "2 names were rejected:\n  \
             - a..example.com: has an empty label: two dots in a row, or a dot at the start or \
             the end\n  \
             - intranet: \"intranet\" is a single label, not a public domain name: give the full \
             name, such as \"intranet.example.com\""
        );
        assert_eq!(err.kind(), crate::error::ErrorKind::Input);
    }

    // --- split_input ----------------------------------------------------------------------

    #[test]
    fn split_input_takes_lines_commas_and_blanks() {
        let text = "example.com, www.example.com\n\n  mail.example.com\r\n*.example.org,,\tb.example.net ,";
        assert_eq!(
            split_input(text),
            [
                "example.com",
                "www.example.com",
                "mail.example.com",
                "*.example.org",
                "b.example.net"
            ]
        );
        assert!(split_input(" ,\n ").is_empty());
        assert_eq!(split_input("München.DE"), ["München.DE"]);
    }

    #[test]
    fn split_input_feeds_validate() {
        let names = split_input("example.com\nwww.example.com, *.example.com");
        let got: Vec<String> = validate(&names, DNS)
            .unwrap()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(got, ["example.com", "www.example.com", "*.example.com"]);
    }

    // --- ChallengeType and DomainName -----------------------------------------------------

    #[test]
    fn challenge_type_ids() {
        for c in ChallengeType::ALL {
            assert_eq!(c.to_string().parse::<ChallengeType>().unwrap(), c);
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            let back: ChallengeType = serde_json::from_str(&format!("\"{c}\"")).unwrap();
            assert_eq!(back, c);
        }
        assert_eq!(ChallengeType::Http01.to_string(), "http-01");
        assert_eq!(ChallengeType::Dns01.to_string(), "dns-01");
        assert_eq!(" DNS-01 ".parse::<ChallengeType>().unwrap(), DNS);
        assert!(!HTTP.allows_wildcards());
        assert!(DNS.allows_wildcards());
    }

    #[test]
    fn unknown_challenge_type() {
        let err = Error::from("dns-persist-02".parse::<ChallengeType>().unwrap_err());
        assert!(matches!(err, Error::Input(_)));
        assert_eq!(
            err.to_string(),
            "unknown challenge type \"dns-persist-02\": use \"http-01\", \"dns-01\", \
             \"tls-alpn-01\", \"dns-account-01\" or \"dns-persist-01\""
        );
    }

    #[test]
    fn domain_name_accessors() {
        let names = validate(&["www.example.com", "*.example.com"], DNS).unwrap();
        assert_eq!(names[0].as_str(), "www.example.com");
        assert!(!names[0].is_wildcard());
        assert_eq!(names[0].base(), "www.example.com");
        assert_eq!(names[1].as_str(), "*.example.com");
        assert!(names[1].is_wildcard());
        assert_eq!(names[1].base(), "example.com");
        assert_eq!(names[1].to_string(), "*.example.com");
        assert_eq!(names[1].as_ref(), "*.example.com");
        assert_eq!(names[1].clone().into_string(), "*.example.com");
    }

    #[test]
    fn domain_name_serialises_as_a_plain_string() {
        let names = validate(&["münchen.de", "*.example.com"], DNS).unwrap();
        let json = serde_json::to_string(&names).unwrap();
        assert_eq!(json, r#"["xn--mnchen-3ya.de","*.example.com"]"#);
        let back: Vec<Name> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, names);
    }

    // --- IP addresses and private CAs ---------------------------------------------------

    const TLS: ChallengeType = ChallengeType::TlsAlpn01;

    fn private(names: &[&str], challenge: ChallengeType) -> Result<Vec<Name>> {
        validate_for(names, challenge, CaScope::Private)
    }

    #[test]
    fn addresses_are_normalised_and_kept_apart_from_dns_names() {
        let names = private(
            &[
                "127.0.0.1",
                "[::1]",
                "2001:DB8:0:0::0:1",
                "::ffff:10.0.0.1",
                "db.internal",
            ],
            TLS,
        )
        .unwrap();
        let shown: Vec<&str> = names.iter().map(Name::as_str).collect();
        assert_eq!(
            shown,
            ["127.0.0.1", "::1", "2001:db8::1", "10.0.0.1", "db.internal"]
        );
        assert_eq!(names[0].ip(), Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        assert_eq!(names[1].ip(), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert!(names[0].as_dns().is_none() && !names[0].is_wildcard());
        assert!(names[4].as_dns().is_some() && names[4].ip().is_none());
        let json = serde_json::to_string(&names).unwrap();
        let back: Vec<Name> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, names);
        // The same address written twice is one name.
        let errors = match private(&["::1", "0:0::1"], HTTP) {
            Err(Error::Names(errors)) => errors,
            other => panic!("{other:?}"),
        };
        assert_eq!(errors[0].name, "0:0::1");
    }

    #[test]
    fn public_addresses_pass_a_public_ca_with_http01_and_tls_alpn01_only() {
        assert_eq!(
            accepted(&["8.8.8.8", "2606:4700::1111"], HTTP),
            ["8.8.8.8", "2606:4700::1111"]
        );
        assert_eq!(accepted(&["8.8.8.8"], TLS), ["8.8.8.8"]);
        let dns01 = reason_with("8.8.8.8", DNS);
        assert_eq!(
            dns01,
            "is an IP address, which has no DNS zone to publish a dns-01 record in: choose \
             http-01 or tls-alpn-01 for it (the CA connects to 8.8.8.8)"
        );
        assert!(matches!(private(&["127.0.0.1"], DNS), Err(Error::Names(_))));
        assert_eq!(
            reason_with("*.127.0.0.1", DNS),
            "is a wildcard over an IP address: an address has no names under it; give the \
             address itself"
        );
        assert!(reason_with("fe80::1%eth0", HTTP).starts_with("has an IPv6 zone (\"eth0\")"));
        assert!(reason("127.000.000.001").starts_with("ends in a label of digits only"));
    }

    #[test]
    fn lets_encrypt_refuses_private_addresses_and_internal_names() {
        let ip = "IP addresses cannot be in a certificate from this CA: give a domain name that \
                  points to the address";
        for name in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
        ] {
            assert_eq!(reason_with(name, TLS), ip, "{name}");
        }
        assert_eq!(
            reason("db.internal"),
            "\".internal\" is reserved by ICANN for private networks: a public CA does not \
             issue certificates for it"
        );
        assert!(reason("intranet").contains("is a single label"));
    }

    #[test]
    fn a_private_ca_takes_internal_names_and_private_addresses_with_a_notice() {
        let names = private(
            &[
                "db.internal",
                "intranet",
                "app.corp",
                "127.0.0.1",
                "::1",
                "www.example.com",
            ],
            HTTP,
        )
        .unwrap();
        assert_eq!(
            private_notice(&names).unwrap(),
            "db.internal, intranet, app.corp, 127.0.0.1, ::1 are accepted only because this CA \
             is a private one (a custom directory): a public CA such as Let's Encrypt would \
             refuse them"
        );
        let public = private(&["www.example.com", "8.8.8.8"], HTTP).unwrap();
        assert_eq!(private_notice(&public), None);
        // Syntax and the challenge's rules hold for every CA.
        assert!(matches!(
            private(&["bad_name.internal"], HTTP),
            Err(Error::Names(_))
        ));
        assert!(matches!(private(&["*.lan"], HTTP), Err(Error::Names(_))));
        assert_eq!(private(&["*.lan"], DNS).unwrap()[0].as_str(), "*.lan");
    }

    #[test]
    fn an_address_first_is_no_common_name() {
        let long = format!("{}.example.com", "a".repeat(60));
        let names = private(&["127.0.0.1", &long], HTTP).unwrap();
        assert_eq!(names.len(), 2);
    }
}
