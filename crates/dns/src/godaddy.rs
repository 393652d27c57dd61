//! GoDaddy's Domains API. A write replaces a name's whole TXT set, so every change reads the
//! set first and writes back everyone else's values with ours added or taken out.

use reqwest::header::{HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, StatusCode};
use serde::{Deserialize, Serialize};

use super::{http, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "godaddy",
    label: "GoDaddy",
    own_fields: &[
        FieldSpec::new(
            "api_key",
            "API key",
            "developer.godaddy.com → API Keys → Create New API Key, environment Production.",
        ),
        FieldSpec::new(
            "api_secret",
            "API secret",
            "Shown once, next to the key, when the key is created.",
        )
        .secret(),
    ],
    http: true,
    privilege: "GoDaddy keys cannot be narrowed: a production key can manage every domain of \
                the account, so keep it to this machine. GoDaddy only opens the API to accounts \
                with 10 or more domains or a Domain Pro plan.",
    build: |config| Ok(Box::new(GoDaddy::new(config)?)),
};

const DEFAULT_ENDPOINT: &str = "https://api.godaddy.com";

/// GoDaddy refuses TXT records with a shorter TTL.
const MIN_TTL: u32 = 600;

struct GoDaddy {
    client: reqwest::Client,
    base: url::Url,
    /// `sso-key KEY:SECRET`, marked sensitive so that it never shows in debug output.
    auth: HeaderValue,
}

/// One TXT record as GoDaddy lists it and takes it back (`name` and `type` are in the URL).
#[derive(Deserialize, Serialize, Clone)]
struct Record {
    data: String,
    #[serde(default = "min_ttl")]
    ttl: u32,
}

fn min_ttl() -> u32 {
    MIN_TTL
}

/// GoDaddy's error body (`retryAfterSec` only on 429).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    fields: Vec<FieldError>,
    retry_after_sec: Option<u64>,
}

#[derive(Deserialize)]
struct FieldError {
    #[serde(default)]
    path: String,
    #[serde(default)]
    message: String,
}

impl GoDaddy {
    fn new(config: &Config) -> Result<Self> {
        let key = config.required("api_key")?.trim();
        let secret = config.required("api_secret")?.trim();
        let mut auth = HeaderValue::from_str(&format!("sso-key {key}:{secret}")).map_err(|_| {
            Error::input("GoDaddy: the API key or secret contains characters no key has")
        })?;
        auth.set_sensitive(true);
        Ok(Self {
            client: http::client(config)?,
            base: config.endpoint(DEFAULT_ENDPOINT)?,
            auth,
        })
    }

    /// The API URL of `segments` below the endpoint (each one escaped).
    fn url(&self, segments: &[&str]) -> url::Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn records_url(&self, set: &TxtSet) -> url::Url {
        self.url(&[
            "v1",
            "domains",
            &set.zone,
            "records",
            "TXT",
            &set.relative_name(),
        ])
    }

    async fn send(&self, doing: &str, request: RequestBuilder) -> Result<reqwest::Response> {
        http::send(
            SPEC.label,
            doing,
            request
                .header(AUTHORIZATION, self.auth.clone())
                .header("Accept", "application/json"),
        )
        .await
    }

    /// The TXT set at `set.fqdn` as it is now; `doing` is the step it is for.
    async fn read(&self, doing: &str, set: &TxtSet) -> Result<Vec<Record>> {
        let response = self
            .send(doing, self.client.get(self.records_url(set)))
            .await?;
        http::json(SPEC.label, doing, response, explain).await
    }

    /// Makes `records` the whole TXT set at `set.fqdn`; an empty set deletes the name's TXT.
    async fn write(&self, doing: &str, set: &TxtSet, records: &[Record]) -> Result<()> {
        let url = self.records_url(set);
        let request = if records.is_empty() {
            self.client.delete(url)
        } else {
            self.client.put(url).json(records)
        };
        let response = self.send(doing, request).await?;
        // Deleting a set that someone else already emptied is what we wanted.
        if records.is_empty() && response.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        http::json::<Option<serde_json::Value>>(SPEC.label, doing, response, explain).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl DnsProvider for GoDaddy {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("adding TXT {}", set.fqdn);
        let mut records = self.read(&doing, set).await?;
        let before = records.len();
        for value in &set.values {
            if !records.iter().any(|r| r.data == *value) {
                records.push(Record {
                    data: value.clone(),
                    ttl: self.ttl(),
                });
            }
        }
        if records.len() == before {
            return Ok(());
        }
        self.write(&doing, set, &records).await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("removing TXT {}", set.fqdn);
        let mut records = self.read(&doing, set).await?;
        let before = records.len();
        records.retain(|r| !set.values.contains(&r.data));
        if records.len() == before {
            return Ok(());
        }
        self.write(&doing, set, &records).await
    }

    /// Reads the domain and the TXT set at its `_acme-challenge`: proves the key, GoDaddy's
    /// API access for the account and the zone, and writes nothing.
    async fn test(&self, zone: Option<&str>) -> Result<String> {
        let Some(zone) = zone else {
            let doing = "listing the account's domains";
            let request = self
                .client
                .get(self.url(&["v1", "domains"]))
                .query(&[("limit", "1")]);
            let response = self.send(doing, request).await?;
            http::json::<Vec<serde_json::Value>>(SPEC.label, doing, response, explain).await?;
            return Ok("the API key and secret are valid".to_owned());
        };
        let doing = format!("looking up domain {zone}");
        let response = self
            .send(&doing, self.client.get(self.url(&["v1", "domains", zone])))
            .await?;
        http::json::<serde_json::Value>(SPEC.label, &doing, response, explain).await?;
        let set = TxtSet {
            fqdn: format!("_acme-challenge.{zone}"),
            zone: zone.to_owned(),
            values: Vec::new(),
        };
        self.read(&format!("reading TXT {}", set.fqdn), &set)
            .await?;
        Ok(format!("found domain {zone} and read its DNS records"))
    }

    fn ttl(&self) -> u32 {
        MIN_TTL
    }
}

/// GoDaddy's error as one line, with what to do about the refusals a user can act on.
fn explain(body: &str) -> Option<String> {
    let e: ApiError = serde_json::from_str(body).ok()?;
    if e.code.is_empty() && e.message.is_empty() {
        return None;
    }
    let mut text = format!("{} ({})", e.message, e.code);
    for field in &e.fields {
        text.push_str(&format!("; {}: {}", field.path, field.message));
    }
    if let Some(secs) = e.retry_after_sec {
        text.push_str(&format!("; retry after {secs} s"));
    }
    if e.code == "ACCESS_DENIED" {
        text.push_str(
            ": GoDaddy opens its DNS API only to accounts with 10 or more domains or a Domain \
             Pro plan, and this account is below that. Move the zone's DNS to another provider, \
             or point _acme-challenge by CNAME to a zone certdesk can write to",
        );
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_small_account_is_told_why() {
        let text = explain(
            r#"{"code":"ACCESS_DENIED","message":"Authenticated user is not allowed access"}"#,
        )
        .unwrap_or_default();
        assert!(text.starts_with("Authenticated user is not allowed access (ACCESS_DENIED)"));
        assert!(text.contains("10 or more domains"));
    }

    #[test]
    fn rate_limits_say_when_to_retry() {
        let text = explain(
            r#"{"code":"TOO_MANY_REQUESTS","message":"Too many requests received within interval","retryAfterSec":30}"#,
        );
        assert_eq!(
            text.as_deref(),
            Some(
                "Too many requests received within interval (TOO_MANY_REQUESTS); retry after 30 s"
            )
        );
    }
}
