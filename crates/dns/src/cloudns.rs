//! ClouDNS through its HTTP API: one record per TXT value, added and deleted by id, so other
//! values at the same name are never touched.
//!
//! ClouDNS takes the credentials as request parameters. certdesk sends them as POST form fields,
//! never in the URL, so no proxy or server log sees them; messages never carry them either.
//! ClouDNS answers most failures with HTTP 200 and `"status": "Failed"`: every answer's body is
//! checked.

use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::{http, provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "cloudns",
    label: "ClouDNS",
    own_fields: &[
        FieldSpec::new(
            "auth_id",
            "API user ID (auth-id)",
            "The numeric ID of an API user (API & Resellers); or give a sub-user below instead.",
        )
        .optional(),
        FieldSpec::new(
            "sub_auth_id",
            "API sub-user ID (sub-auth-id)",
            "The numeric ID of an API sub-user, instead of an API user ID.",
        )
        .optional(),
        FieldSpec::new(
            "sub_auth_user",
            "API sub-user name (sub-auth-user)",
            "The name of an API sub-user, instead of an ID.",
        )
        .optional(),
        FieldSpec::new(
            "auth_password",
            "API password (auth-password)",
            "The password of that API user or sub-user.",
        )
        .secret(),
    ],
    http: true,
    privilege: "An API sub-user limited to the zones certdesk issues for (ClouDNS: API & \
                Resellers, sub-users, Add zone), with the API restricted to the machine's IP \
                addresses.",
    build: |config| Ok(Box::new(ClouDns::new(config)?)),
};

const PUBLIC_ENDPOINT: &str = "https://api.cloudns.net";

/// The TTLs ClouDNS accepts (its wiki, article 58); any other one is refused.
const TTLS: &[u32] = &[
    60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000,
];

/// The ClouDNS TTL at least `ttl` long.
fn allowed_ttl(ttl: u32) -> u32 {
    TTLS.iter()
        .copied()
        .find(|t| *t >= ttl)
        .unwrap_or(TTLS[TTLS.len() - 1])
}

/// The three ways ClouDNS names the user, as (parameter, config field).
const IDENTITIES: &[(&str, &str)] = &[
    ("auth-id", "auth_id"),
    ("sub-auth-id", "sub_auth_id"),
    ("sub-auth-user", "sub_auth_user"),
];

struct ClouDns {
    client: reqwest::Client,
    /// The endpoint without a trailing slash; API paths are appended to it.
    base: String,
    /// `auth-id`, `sub-auth-id` or `sub-auth-user`.
    identity: &'static str,
    user: Zeroizing<String>,
    password: Zeroizing<String>,
}

/// One record of `dns/records.json` (scalars come as strings).
#[derive(Deserialize)]
struct Record {
    id: Value,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    host: String,
    #[serde(default)]
    record: String,
}

impl ClouDns {
    fn new(config: &Config) -> Result<Self> {
        let given: Vec<(&'static str, &str)> = IDENTITIES
            .iter()
            .filter_map(|(param, field)| Some((*param, config.get(field)?.trim())))
            .collect();
        let [(identity, user)] = given[..] else {
            return Err(Error::input(format!(
                "ClouDNS: give exactly one of auth_id, sub_auth_id and sub_auth_user ({} given)",
                given.len()
            )));
        };
        Ok(Self {
            client: http::client(config)?,
            base: config
                .endpoint(PUBLIC_ENDPOINT)?
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
            identity,
            user: Zeroizing::new(user.to_owned()),
            password: Zeroizing::new(config.required("auth_password")?.to_owned()),
        })
    }

    /// POSTs `params` and the credentials to `path`; a `Failed` answer becomes an error in
    /// ClouDNS's own words.
    async fn call(&self, path: &str, doing: &str, params: &[(&str, &str)]) -> Result<Value> {
        let mut form: Vec<(&str, &str)> = vec![
            (self.identity, self.user.as_str()),
            ("auth-password", self.password.as_str()),
        ];
        form.extend_from_slice(params);
        let request = self.client.post(format!("{}{path}", self.base)).form(&form);
        let response = http::send(SPEC.label, doing, request).await?;
        let body: Value = http::json(SPEC.label, doing, response, explain).await?;
        if body.get("status").and_then(Value::as_str) == Some("Failed") {
            let text = explain_value(&body).unwrap_or_else(|| body.to_string());
            return Err(provider_error(SPEC.label, doing, text));
        }
        Ok(body)
    }

    /// The TXT records at `set.fqdn`.
    async fn records(&self, set: &TxtSet, doing: &str) -> Result<Vec<Record>> {
        let host = host(set);
        let body = self
            .call(
                "/dns/records.json",
                doing,
                &[("domain-name", &set.zone), ("host", &host), ("type", "TXT")],
            )
            .await?;
        // An object keyed by record id; `[]` when there are none.
        let records = match body {
            Value::Object(map) => map
                .into_values()
                .map(serde_json::from_value::<Record>)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(|e| {
                    provider_error(
                        SPEC.label,
                        doing,
                        format!("the record list is not what its API documents ({e})"),
                    )
                })?,
            _ => Vec::new(),
        };
        Ok(records
            .into_iter()
            .filter(|r| r.kind.eq_ignore_ascii_case("TXT") && r.host.eq_ignore_ascii_case(&host))
            .collect())
    }
}

#[async_trait::async_trait]
impl DnsProvider for ClouDns {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("adding TXT {}", set.fqdn);
        let existing = self.records(set, &doing).await?;
        let host = host(set);
        let ttl = allowed_ttl(self.ttl()).to_string();
        for value in &set.values {
            if existing.iter().any(|r| &r.record == value) {
                continue;
            }
            self.call(
                "/dns/add-record.json",
                &doing,
                &[
                    ("domain-name", &set.zone),
                    ("record-type", "TXT"),
                    ("host", &host),
                    ("record", value),
                    ("ttl", &ttl),
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("removing TXT {}", set.fqdn);
        for record in self.records(set, &doing).await? {
            if !set.values.contains(&record.record) {
                continue;
            }
            let id = match &record.id {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            self.call(
                "/dns/delete-record.json",
                &doing,
                &[("domain-name", &set.zone), ("record-id", &id)],
            )
            .await?;
        }
        Ok(())
    }

    async fn test(&self, zone: Option<&str>) -> Result<String> {
        match zone {
            Some(zone) => {
                let doing = format!("reading zone {zone}");
                let info = self
                    .call("/dns/get-zone-info.json", &doing, &[("domain-name", zone)])
                    .await?;
                let kind = info.get("type").and_then(Value::as_str).unwrap_or("?");
                Ok(format!(
                    "the {} signs in and sees zone {zone} ({kind})",
                    self.who()
                ))
            }
            None => {
                self.call("/login/login.json", "signing in", &[]).await?;
                Ok(format!("the {} signs in", self.who()))
            }
        }
    }

    fn ttl(&self) -> u32 {
        60
    }
}

impl ClouDns {
    fn who(&self) -> &'static str {
        if self.identity == "auth-id" {
            "API user"
        } else {
            "API sub-user"
        }
    }
}

/// The record's host relative to the zone: empty at the apex.
fn host(set: &TxtSet) -> String {
    match set.relative_name().as_str() {
        "@" => String::new(),
        name => name.to_owned(),
    }
}

fn explain(body: &str) -> Option<String> {
    explain_value(&serde_json::from_str(body).ok()?)
}

/// `statusDescription`, with what ClouDNS means by its answer for a zone it does not hold.
fn explain_value(body: &Value) -> Option<String> {
    let text = body.get("statusDescription")?.as_str()?.trim();
    Some(if text.starts_with("Missing domain-name") {
        format!("{text} (ClouDNS's answer when the account has no such zone)")
    } else {
        text.to_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::allowed_ttl;

    #[test]
    fn ttls_round_up_to_one_clouddns_accepts() {
        assert_eq!(allowed_ttl(1), 60);
        assert_eq!(allowed_ttl(60), 60);
        assert_eq!(allowed_ttl(120), 300);
        assert_eq!(allowed_ttl(u32::MAX), 2592000);
    }
}
