//! Azure DNS through Azure Resource Manager: a service principal signs in with the OAuth2 client
//! credentials grant of Microsoft Entra ID, then reads and writes the zone's TXT record sets.
//!
//! A record set is replaced whole on write, so certdesk reads it, adds or removes only its own
//! values and writes it back under the set's etag: a change made in between is never overwritten.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;
use zeroize::Zeroizing;

use super::{http, provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "azure",
    label: "Azure DNS",
    own_fields: &[
        FieldSpec::new(
            "subscription_id",
            "Subscription ID",
            "The subscription that holds the DNS zones (Azure portal: Subscriptions).",
        ),
        FieldSpec::new(
            "tenant_id",
            "Tenant (directory) ID",
            "The Microsoft Entra tenant of the app registration (its Overview page).",
        ),
        FieldSpec::new(
            "client_id",
            "Client (application) ID",
            "The app registration's Application (client) ID.",
        ),
        FieldSpec::new(
            "client_secret",
            "Client secret",
            "The secret's Value (not its ID), from the app's Certificates & secrets.",
        )
        .secret(),
        FieldSpec::new(
            "resource_group",
            "Resource group",
            "The resource group that holds the DNS zones.",
        ),
    ],
    http: true,
    privilege: "An app registration with the role \"DNS Zone Contributor\" on the DNS zone only \
                (not the subscription or resource group); a custom role with \
                Microsoft.Network/dnsZones/read and dnsZones/TXT/read, write and delete is \
                narrower still.",
    build: |config| Ok(Box::new(Azure::new(config)?)),
};

/// The record-set API version whose shapes this file follows.
const API_VERSION: &str = "2018-05-01";

const PUBLIC_MANAGEMENT: &str = "https://management.azure.com";
const PUBLIC_LOGIN: &str = "https://login.microsoftonline.com";

/// The sign-in service and token scope of each Azure cloud, by its management host.
const CLOUDS: &[(&str, &str)] = &[
    ("management.azure.com", PUBLIC_LOGIN),
    (
        "management.chinacloudapi.cn",
        "https://login.chinacloudapi.cn",
    ),
    (
        "management.usgovcloudapi.net",
        "https://login.microsoftonline.us",
    ),
];

/// Read-modify-write rounds lost to someone else's change before giving up.
const ATTEMPTS: usize = 3;

/// Zone list pages followed by `test` at most.
const MAX_PAGES: usize = 100;

struct Azure {
    client: reqwest::Client,
    management: Url,
    login: Url,
    scope: String,
    subscription: String,
    tenant: String,
    client_id: String,
    secret: Zeroizing<String>,
    resource_group: String,
    /// The access token and when to fetch a new one; one publication reuses it.
    token: Mutex<Option<(Zeroizing<String>, Instant)>>,
}

/// A TXT record set as ARM answers it; only what certdesk rewrites is kept.
#[derive(Deserialize)]
struct RecordSet {
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    properties: Properties,
}

#[derive(Deserialize, Serialize, Default)]
struct Properties {
    #[serde(rename = "TTL", default, skip_serializing_if = "Option::is_none")]
    ttl: Option<u32>,
    #[serde(rename = "TXTRecords", default)]
    txt_records: Vec<TxtRecord>,
    /// The set's tags: written back as they were, since a PUT replaces them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    metadata: Option<Value>,
}

/// One TXT record: its character strings, which DNS joins into one value.
#[derive(Deserialize, Serialize, Clone)]
struct TxtRecord {
    #[serde(default)]
    value: Vec<String>,
}

impl TxtRecord {
    fn is_one_of(&self, values: &[String]) -> bool {
        values.contains(&self.value.concat())
    }
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
    /// Seconds; Entra ID sends a number, some proxies a string.
    #[serde(default)]
    expires_in: Option<Value>,
}

#[derive(Deserialize)]
struct ZonePage {
    #[serde(default)]
    value: Vec<Named>,
    #[serde(rename = "nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// What a conditional write came to.
enum Written {
    Done,
    /// HTTP 412: the set changed since it was read.
    Stale,
}

impl Azure {
    /// With an `endpoint`, requests go there instead of the public management API. Sign-in goes
    /// to the matching sovereign cloud's login service for a known management host (Azure China,
    /// Azure US Government); for any other endpoint (a proxy, the tests' fake) to the same host,
    /// which must then serve `/{tenant}/oauth2/v2.0/token` too. The token scope is the cloud's
    /// own management API, `https://management.azure.com/.default` behind a proxy.
    fn new(config: &Config) -> Result<Self> {
        let management = config.endpoint(PUBLIC_MANAGEMENT)?;
        let host = management
            .host_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let known = CLOUDS.iter().find(|(h, _)| *h == host);
        let (login, scope) = match (config.get("endpoint"), known) {
            (None, _) => (PUBLIC_LOGIN.to_owned(), PUBLIC_MANAGEMENT.to_owned()),
            (Some(_), Some((host, login))) => ((*login).to_owned(), format!("https://{host}")),
            (Some(_), None) => (
                management.as_str().trim_end_matches('/').to_owned(),
                PUBLIC_MANAGEMENT.to_owned(),
            ),
        };
        let login =
            Url::parse(&login).map_err(|e| Error::input(format!("bad login URL {login} ({e})")))?;
        Ok(Self {
            client: http::client(config)?,
            management,
            login,
            scope: format!("{scope}/.default"),
            subscription: config.required("subscription_id")?.trim().to_owned(),
            tenant: config.required("tenant_id")?.trim().to_owned(),
            client_id: config.required("client_id")?.trim().to_owned(),
            secret: Zeroizing::new(config.required("client_secret")?.to_owned()),
            resource_group: config.required("resource_group")?.trim().to_owned(),
            token: Mutex::new(None),
        })
    }

    /// A bearer token for the management API, fetched once and reused until shortly before it
    /// expires.
    async fn token(&self) -> Result<Zeroizing<String>> {
        if let Ok(cached) = self.token.lock() {
            if let Some((token, until)) = cached.as_ref() {
                if Instant::now() < *until {
                    return Ok(token.clone());
                }
            }
        }
        let mut url = self.login.clone();
        extend(&mut url, &[&self.tenant, "oauth2", "v2.0", "token"]);
        let doing = format!("signing in to Microsoft Entra ID (tenant {})", self.tenant);
        let request = self.client.post(url).form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("client_secret", &self.secret),
            ("scope", &self.scope),
        ]);
        let response = http::send(SPEC.label, &doing, request).await?;
        let token: Token = http::json(SPEC.label, &doing, response, explain).await?;
        let lifetime = token
            .expires_in
            .as_ref()
            .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
            .unwrap_or(600);
        let until = Instant::now() + Duration::from_secs(lifetime.saturating_sub(60));
        let token = Zeroizing::new(token.access_token);
        if let Ok(mut cached) = self.token.lock() {
            *cached = Some((token.clone(), until));
        }
        Ok(token)
    }

    /// `…/resourceGroups/{rg}/providers/Microsoft.Network/dnsZones[/rest…]?api-version=…`
    fn url(&self, rest: &[&str]) -> Url {
        let mut url = self.management.clone();
        extend(
            &mut url,
            &[
                "subscriptions",
                &self.subscription,
                "resourceGroups",
                &self.resource_group,
                "providers",
                "Microsoft.Network",
                "dnsZones",
            ],
        );
        extend(&mut url, rest);
        url.query_pairs_mut()
            .append_pair("api-version", API_VERSION);
        url
    }

    fn set_url(&self, set: &TxtSet) -> Url {
        self.url(&[&set.zone, "TXT", &set.relative_name()])
    }

    /// The TXT record set at `set.fqdn`, or `None` when there is none.
    async fn read(&self, set: &TxtSet) -> Result<Option<RecordSet>> {
        let doing = format!("reading TXT {}", set.fqdn);
        let request = self
            .client
            .get(self.set_url(set))
            .bearer_auth(self.token().await?.as_str());
        let response = http::send(SPEC.label, &doing, request).await?;
        if response.status() == StatusCode::NOT_FOUND {
            // A missing set answers code NotFound; a missing zone or resource group its own code.
            let body = http::text(SPEC.label, &doing, response).await?;
            if error_code(&body).as_deref() == Some("NotFound") {
                return Ok(None);
            }
            let text = explain(&body).unwrap_or(body);
            return Err(provider_error(
                SPEC.label,
                &doing,
                format!("HTTP 404: {text}"),
            ));
        }
        http::json(SPEC.label, &doing, response, explain)
            .await
            .map(Some)
    }

    /// Writes `records` as the whole set, only if it is still the one read (`etag`), or still
    /// absent when none was read.
    async fn write(
        &self,
        set: &TxtSet,
        records: Vec<TxtRecord>,
        ttl: u32,
        metadata: Option<Value>,
        etag: Option<&str>,
        doing: &str,
    ) -> Result<Written> {
        let body = serde_json::json!({
            "properties": Properties { ttl: Some(ttl), txt_records: records, metadata },
        });
        let request = self
            .client
            .put(self.set_url(set))
            .bearer_auth(self.token().await?.as_str())
            .json(&body);
        let request = match etag {
            Some(etag) => request.header("If-Match", etag),
            None => request.header("If-None-Match", "*"),
        };
        self.conditional(doing, request).await
    }

    async fn delete(&self, set: &TxtSet, etag: Option<&str>, doing: &str) -> Result<Written> {
        let mut request = self
            .client
            .delete(self.set_url(set))
            .bearer_auth(self.token().await?.as_str());
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        self.conditional(doing, request).await
    }

    async fn conditional(&self, doing: &str, request: reqwest::RequestBuilder) -> Result<Written> {
        let response = http::send(SPEC.label, doing, request).await?;
        if response.status() == StatusCode::PRECONDITION_FAILED {
            return Ok(Written::Stale);
        }
        let _: Value = http::json(SPEC.label, doing, response, explain).await?;
        Ok(Written::Done)
    }

    fn lost_race(doing: &str) -> Error {
        provider_error(
            SPEC.label,
            doing,
            format!("the record set changed under certdesk {ATTEMPTS} times in a row; try again"),
        )
    }

    async fn zone_names(&self) -> Result<Vec<String>> {
        let doing = format!(
            "listing the zones of resource group {}",
            self.resource_group
        );
        let mut url = self.url(&[]);
        let mut names = Vec::new();
        for _ in 0..MAX_PAGES {
            let request = self
                .client
                .get(url.clone())
                .bearer_auth(self.token().await?.as_str());
            let response = http::send(SPEC.label, &doing, request).await?;
            let page: ZonePage = http::json(SPEC.label, &doing, response, explain).await?;
            names.extend(page.value.into_iter().map(|z| z.name));
            match page.next_link.as_deref().map(Url::parse) {
                None => return Ok(names),
                // The token goes only where the first page came from.
                Some(Ok(next)) if next.origin() == self.management.origin() => url = next,
                Some(_) => {
                    return Err(provider_error(
                        SPEC.label,
                        &doing,
                        "the next page's link points elsewhere",
                    ))
                }
            }
        }
        Ok(names)
    }
}

#[async_trait::async_trait]
impl DnsProvider for Azure {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("adding TXT {}", set.fqdn);
        for _ in 0..ATTEMPTS {
            let current = self.read(set).await?;
            let etag = current.as_ref().and_then(|s| s.etag.clone());
            let mut props = current.map(|s| s.properties).unwrap_or_default();
            let missing: Vec<TxtRecord> = set
                .values
                .iter()
                .filter(|v| !props.txt_records.iter().any(|r| r.value.concat() == **v))
                .map(|v| TxtRecord {
                    value: vec![v.clone()],
                })
                .collect();
            if missing.is_empty() {
                return Ok(());
            }
            props.txt_records.extend(missing);
            // Our short TTL for the whole set: a resolver must not keep the set without our
            // values for long.
            let written = self
                .write(
                    set,
                    props.txt_records,
                    self.ttl(),
                    props.metadata,
                    etag.as_deref(),
                    &doing,
                )
                .await?;
            if let Written::Done = written {
                return Ok(());
            }
        }
        Err(Self::lost_race(&doing))
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("removing TXT {}", set.fqdn);
        for _ in 0..ATTEMPTS {
            let Some(current) = self.read(set).await? else {
                return Ok(());
            };
            let props = current.properties;
            let before = props.txt_records.len();
            let remaining: Vec<TxtRecord> = props
                .txt_records
                .into_iter()
                .filter(|r| !r.is_one_of(&set.values))
                .collect();
            if remaining.len() == before {
                return Ok(());
            }
            let etag = current.etag.as_deref();
            let written = if remaining.is_empty() {
                self.delete(set, etag, &doing).await?
            } else {
                let ttl = props.ttl.unwrap_or_else(|| self.ttl());
                self.write(set, remaining, ttl, props.metadata, etag, &doing)
                    .await?
            };
            if let Written::Done = written {
                return Ok(());
            }
        }
        Err(Self::lost_race(&doing))
    }

    async fn test(&self, zone: Option<&str>) -> Result<String> {
        match zone {
            Some(zone) => {
                let doing = format!("reading zone {zone}");
                let request = self
                    .client
                    .get(self.url(&[zone]))
                    .bearer_auth(self.token().await?.as_str());
                let response = http::send(SPEC.label, &doing, request).await?;
                let found: Named = http::json(SPEC.label, &doing, response, explain).await?;
                Ok(format!(
                    "the service principal signs in and reads zone {} in resource group {}",
                    found.name, self.resource_group
                ))
            }
            None => {
                let names = self.zone_names().await?;
                Ok(format!(
                    "the service principal signs in and sees {} zone{} in resource group {}{}{}",
                    names.len(),
                    if names.len() == 1 { "" } else { "s" },
                    self.resource_group,
                    if names.is_empty() { "" } else { ": " },
                    names.join(", ")
                ))
            }
        }
    }

    fn ttl(&self) -> u32 {
        60
    }
}

/// Appends path segments, each percent-encoded as one segment.
fn extend(url: &mut Url, segments: &[&str]) {
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
}

/// The `code` of an ARM error, wrapped in `error` or not (DNS answers a missing set unwrapped).
fn error_code(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let e = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    e.get("code")?.as_str().map(str::to_owned)
}

/// The provider's own words: ARM's `{"error": {"code", "message"}}` (or unwrapped), or Entra ID's
/// `{"error", "error_description"}` without its trace and correlation lines.
fn explain(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    if let Some(code) = v.get("error").and_then(Value::as_str) {
        let description = v
            .get("error_description")
            .and_then(Value::as_str)
            .and_then(|d| d.lines().next())
            .unwrap_or_default();
        return Some(format!("{code}: {description}"));
    }
    let e = v.get("error").filter(|e| e.is_object()).unwrap_or(&v);
    let message = e.get("message").and_then(Value::as_str)?;
    Some(match e.get("code").and_then(Value::as_str) {
        Some(code) => format!("{code}: {message}"),
        None => message.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn explain_reads_arm_and_entra_errors() {
        assert_eq!(
            explain(r#"{"error":{"code":"AuthorizationFailed","message":"no"}}"#).as_deref(),
            Some("AuthorizationFailed: no")
        );
        assert_eq!(
            explain(r#"{"code":"NotFound","message":"gone"}"#).as_deref(),
            Some("NotFound: gone")
        );
        assert_eq!(
            explain(
                r#"{"error":"invalid_client","error_description":"AADSTS7000215: bad.\r\nTrace ID: x"}"#
            )
            .as_deref(),
            Some("invalid_client: AADSTS7000215: bad.")
        );
    }
}
