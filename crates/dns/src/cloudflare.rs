//! Cloudflare's API v4. Every TXT value is a record of its own there, so adding and removing
//! ours never rewrites anyone else's; the zone's id is looked up by its name.

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use super::{http, provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "cloudflare",
    label: "Cloudflare",
    own_fields: &[
        FieldSpec::new(
            "api_token",
            "API token",
            "My Profile → API Tokens → Create Token (template \"Edit zone DNS\"); leave empty to \
             use the global API key instead.",
        )
        .secret()
        .optional(),
        FieldSpec::new(
            "email",
            "Account email",
            "Only with the global API key: the email address you log in to Cloudflare with.",
        )
        .optional(),
        FieldSpec::new(
            "api_key",
            "Global API key",
            "Only without a token: My Profile → API Tokens → Global API Key (it can do anything \
             your account can: prefer a token).",
        )
        .secret()
        .optional(),
    ],
    http: true,
    privilege: "An API token with the permission Zone → DNS → Edit, its zone resources limited \
                to the zones certdesk issues for; not the global API key, which can change \
                everything in the account.",
    build: |config| Ok(Box::new(Cloudflare::new(config)?)),
};

const DEFAULT_ENDPOINT: &str = "https://api.cloudflare.com/client/v4";

/// Cloudflare's documented minimum for a record that is not proxied.
const MIN_TTL: u32 = 120;

/// Records per page when listing a name's TXT records (the API's default page size).
const RECORDS_PER_PAGE: u32 = 100;

/// A runaway pagination (a result_info that never ends) stops here.
const MAX_PAGES: u32 = 100;

struct Cloudflare {
    client: reqwest::Client,
    base: url::Url,
    /// The auth headers, marked sensitive so that they never show in debug output.
    auth: HeaderMap,
    token: bool,
}

/// Cloudflare's envelope around every answer.
#[derive(Deserialize)]
struct Envelope<T> {
    success: bool,
    #[serde(default)]
    errors: Vec<ApiError>,
    result: Option<T>,
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    error_chain: Vec<ApiError>,
}

#[derive(Deserialize)]
struct ResultInfo {
    page: u32,
    total_pages: u32,
}

#[derive(Deserialize)]
struct Zone {
    id: String,
    name: String,
}

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    content: String,
}

impl Cloudflare {
    fn new(config: &Config) -> Result<Self> {
        let mut auth = HeaderMap::new();
        let token =
            match (config.get("api_token"), config.get("api_key")) {
                (Some(_), Some(_)) => return Err(Error::input(
                    "Cloudflare: give either an API token or the email and global API key, not \
                     both (a token is safer)",
                )),
                (Some(token), None) => {
                    auth.insert(
                        AUTHORIZATION,
                        sensitive(&format!("Bearer {}", token.trim()))?,
                    );
                    true
                }
                (None, Some(key)) => {
                    let email = config.required("email")?;
                    auth.insert(
                        HeaderName::from_static("x-auth-email"),
                        sensitive(email.trim())?,
                    );
                    auth.insert(
                        HeaderName::from_static("x-auth-key"),
                        sensitive(key.trim())?,
                    );
                    false
                }
                (None, None) => return Err(Error::input(
                    "Cloudflare: give an API token (preferred), or the account email and global \
                     API key",
                )),
            };
        Ok(Self {
            client: http::client(config)?,
            base: config.endpoint(DEFAULT_ENDPOINT)?,
            auth,
            token,
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

    /// Sends `request` with the credentials and unwraps Cloudflare's envelope; `success: false`
    /// is a failure even under HTTP 200.
    async fn call<T: DeserializeOwned>(
        &self,
        doing: &str,
        request: RequestBuilder,
    ) -> Result<(T, Option<ResultInfo>)> {
        let response = http::send(SPEC.label, doing, request.headers(self.auth.clone())).await?;
        let envelope: Envelope<T> = http::json(SPEC.label, doing, response, explain).await?;
        if !envelope.success {
            return Err(provider_error(
                SPEC.label,
                doing,
                errors_text(&envelope.errors),
            ));
        }
        let result = envelope
            .result
            .ok_or_else(|| provider_error(SPEC.label, doing, "the answer has no result"))?;
        Ok((result, envelope.result_info))
    }

    /// Every item of a paginated list, following `result_info` page by page.
    async fn list<T: DeserializeOwned>(
        &self,
        doing: &str,
        url: url::Url,
        query: &[(&str, &str)],
        per_page: u32,
    ) -> Result<Vec<T>> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let request = self
                .client
                .get(url.clone())
                .query(query)
                .query(&[("page", page), ("per_page", per_page)]);
            let (items, info): (Vec<T>, _) = self.call(doing, request).await?;
            let empty = items.is_empty();
            all.extend(items);
            match info {
                Some(info) if !empty && info.page < info.total_pages => {}
                _ => break,
            }
        }
        Ok(all)
    }

    /// The id of `zone`; `doing` is the step it is for, as failures name it. Cloudflare
    /// answers an empty list for a zone the credentials cannot see.
    async fn zone_id(&self, doing: &str, zone: &str) -> Result<String> {
        let zones: Vec<Zone> = self
            .list(doing, self.url(&["zones"]), &[("name", zone)], 50)
            .await?;
        zones
            .into_iter()
            .find(|z| z.name.eq_ignore_ascii_case(zone))
            .map(|z| z.id)
            .ok_or_else(|| {
                provider_error(
                    SPEC.label,
                    doing,
                    format!(
                        "no zone {zone} in this account, or the credentials may not read it \
                         (a token needs Zone → DNS → Edit on it)"
                    ),
                )
            })
    }

    /// The TXT records at `set.fqdn`.
    async fn records(&self, doing: &str, zone_id: &str, set: &TxtSet) -> Result<Vec<Record>> {
        self.list(
            doing,
            self.url(&["zones", zone_id, "dns_records"]),
            &[("type", "TXT"), ("name", &set.fqdn)],
            RECORDS_PER_PAGE,
        )
        .await
    }
}

#[async_trait::async_trait]
impl DnsProvider for Cloudflare {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("adding TXT {}", set.fqdn);
        let zone_id = self.zone_id(&doing, &set.zone).await?;
        let existing = self.records(&doing, &zone_id, set).await?;
        for value in &set.values {
            if existing.iter().any(|r| unquote(&r.content) == *value) {
                continue;
            }
            // TXT content is quoted character strings (RFC 1035), as Cloudflare documents it.
            let body = json!({
                "type": "TXT",
                "name": set.fqdn,
                "content": format!("\"{value}\""),
                "ttl": self.ttl(),
            });
            let request = self
                .client
                .post(self.url(&["zones", &zone_id, "dns_records"]))
                .json(&body);
            self.call::<Record>(&doing, request).await?;
        }
        Ok(())
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("removing TXT {}", set.fqdn);
        let zone_id = self.zone_id(&doing, &set.zone).await?;
        for record in self.records(&doing, &zone_id, set).await? {
            if !set.values.contains(&unquote(&record.content)) {
                continue;
            }
            let url = self.url(&["zones", &zone_id, "dns_records", &record.id]);
            let response = http::send(
                SPEC.label,
                &doing,
                self.client.delete(url).headers(self.auth.clone()),
            )
            .await?;
            // Gone already (a cleanup that ran twice) is what we wanted.
            if response.status() == StatusCode::NOT_FOUND {
                continue;
            }
            let envelope: Envelope<serde_json::Value> =
                http::json(SPEC.label, &doing, response, explain).await?;
            if !envelope.success {
                return Err(provider_error(
                    SPEC.label,
                    &doing,
                    errors_text(&envelope.errors),
                ));
            }
        }
        Ok(())
    }

    /// With a zone, looking it up and reading its TXT records proves both the credentials and
    /// the access; account-owned tokens cannot use /user/tokens/verify, so that is asked only
    /// when there is no zone to try.
    async fn test(&self, zone: Option<&str>) -> Result<String> {
        if let Some(zone) = zone {
            let id = self
                .zone_id(&format!("looking up zone {zone}"), zone)
                .await?;
            let doing = format!("reading the DNS records of {zone}");
            let request = self
                .client
                .get(self.url(&["zones", &id, "dns_records"]))
                .query(&[("type", "TXT"), ("per_page", "5")]);
            self.call::<Vec<serde_json::Value>>(&doing, request).await?;
            return Ok(format!(
                "found zone {zone} (id {id}) and read its DNS records"
            ));
        }
        if self.token {
            #[derive(Deserialize)]
            struct Token {
                status: String,
            }
            let doing = "verifying the API token";
            let request = self.client.get(self.url(&["user", "tokens", "verify"]));
            let (token, _): (Token, _) = self.call(doing, request).await?;
            if token.status != "active" {
                return Err(provider_error(
                    SPEC.label,
                    doing,
                    format!("the token is {}", token.status),
                ));
            }
            Ok("the API token is valid and active".to_owned())
        } else {
            #[derive(Deserialize)]
            struct User {
                #[serde(default)]
                email: String,
            }
            let doing = "checking the global API key";
            let request = self.client.get(self.url(&["user"]));
            let (user, _): (User, _) = self.call(doing, request).await?;
            Ok(format!("the global API key of {} is valid", user.email))
        }
    }

    fn ttl(&self) -> u32 {
        MIN_TTL
    }
}

/// A header value that is never printed (reqwest and http honour the flag in Debug output).
fn sensitive(text: &str) -> Result<HeaderValue> {
    let mut value = HeaderValue::from_str(text).map_err(|_| {
        Error::input("Cloudflare: the credentials contain characters no API key or token has")
    })?;
    value.set_sensitive(true);
    Ok(value)
}

/// TXT content as Cloudflare shows it (`"a" "b"`, or bare from older records) back to the value.
fn unquote(content: &str) -> String {
    let content = content.trim();
    match content.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
        Some(inner) => inner.replace("\" \"", ""),
        None => content.to_owned(),
    }
}

/// Cloudflare's error list as one line: `message (code N: cause)`.
fn errors_text(errors: &[ApiError]) -> String {
    if errors.is_empty() {
        return "the API answered success: false without saying why".to_owned();
    }
    errors
        .iter()
        .map(|e| {
            let mut text = e.message.clone();
            if let Some(code) = e.code {
                text.push_str(&format!(" (code {code})"));
            }
            for cause in &e.error_chain {
                text.push_str(&format!(": {}", cause.message));
            }
            text
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The errors of a failed answer's envelope, for [`http::json`].
fn explain(body: &str) -> Option<String> {
    let envelope: Envelope<serde_json::Value> = serde_json::from_str(body).ok()?;
    (!envelope.errors.is_empty()).then(|| errors_text(&envelope.errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_contents_compare_as_their_values() {
        assert_eq!(unquote("\"abc\""), "abc");
        assert_eq!(unquote("abc"), "abc");
        assert_eq!(unquote("\"ab\" \"cd\""), "abcd");
    }

    #[test]
    fn errors_read_as_cloudflare_wrote_them() {
        let body = r#"{"success":false,"errors":[{"code":6003,"message":"Invalid request headers","error_chain":[{"code":6111,"message":"Invalid format for Authorization header"}]}],"messages":[],"result":null}"#;
        assert_eq!(
            explain(body).as_deref(),
            Some("Invalid request headers (code 6003): Invalid format for Authorization header")
        );
        assert_eq!(explain("<html>"), None);
    }
}
