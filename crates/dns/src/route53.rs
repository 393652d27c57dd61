//! Amazon Route 53 through its REST/XML API (2013-04-01), signed with AWS Signature Version 4.
//!
//! Route 53 keeps one record set per name and type and replaces it whole on write: present
//! UPSERTs the current TXT values plus ours, cleanup UPSERTs what remains without ours, or
//! DELETEs the set (with exactly its current values and TTL, as Route 53 demands) when nothing
//! else is left. Present waits until Route 53 reports its change `INSYNC` on all of its
//! nameservers; cleanup does not wait.

use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::{http, provider_error, Config, DnsProvider, FieldSpec, ProviderSpec, TxtSet};
use certdesk_base::error::{Error, Result};

pub(super) const SPEC: ProviderSpec = ProviderSpec {
    id: "route53",
    label: "Amazon Route 53",
    own_fields: &[
        FieldSpec::new(
            "access_key_id",
            "Access key ID",
            "The IAM user's access key ID (AKIA…), from IAM → Users → Security credentials.",
        ),
        FieldSpec::new(
            "secret_access_key",
            "Secret access key",
            "The secret shown once when the access key was created.",
        )
        .secret(),
        FieldSpec::new(
            "region",
            "Signing region",
            "us-east-1 unless set; another partition's Route 53 (China: cn-northwest-1) needs \
             its own region and endpoint.",
        )
        .optional(),
        FieldSpec::new(
            "hosted_zone_id",
            "Hosted zone ID",
            "Only when the zone cannot be found by name (several public zones of one name): the \
             ID from the Route 53 console, e.g. Z0123456789ABCDEFGHIJ.",
        )
        .optional(),
    ],
    http: true,
    privilege: "An IAM user whose policy allows only route53:ListHostedZonesByName, \
                route53:GetChange and, on the hosted zone's ARN, route53:ListResourceRecordSets \
                and route53:ChangeResourceRecordSets (narrowed with the conditions \
                route53:ChangeResourceRecordSetsRecordTypes = TXT and \
                route53:ChangeResourceRecordSetsNormalizedRecordNames = _acme-challenge.*); \
                add route53:GetHostedZone when hosted_zone_id is set.",
    build: |config| Ok(Box::new(Route53::new(config)?)),
};

const DEFAULT_ENDPOINT: &str = "https://route53.amazonaws.com";
const API: &str = "2013-04-01";
const XMLNS: &str = "https://route53.amazonaws.com/doc/2013-04-01/";

/// Attempts of one call that Route 53 answers with a throttling error (its SDKs retry too).
const ATTEMPTS: u32 = 3;

/// The longest pause between two looks at a pending change (they usually sync within 60 s).
const MAX_POLL: Duration = Duration::from_secs(5);

struct Route53 {
    client: reqwest::Client,
    /// The endpoint without a final `/`, before `/2013-04-01/…`.
    base: String,
    credentials: Credentials,
    region: String,
    hosted_zone_id: Option<String>,
    /// How long a change may stay `PENDING`: the account's propagation timeout.
    insync_timeout: Duration,
}

/// One TXT record set as Route 53 holds it: values in its presentation form (`"text"`).
struct TxtRecords {
    ttl: u32,
    values: Vec<String>,
}

impl Route53 {
    fn new(config: &Config) -> Result<Self> {
        let endpoint = config.endpoint(DEFAULT_ENDPOINT)?;
        Ok(Self {
            client: http::client(config)?,
            base: endpoint.as_str().trim_end_matches('/').to_owned(),
            credentials: Credentials::new(
                config.required("access_key_id")?.trim(),
                config.required("secret_access_key")?.trim(),
                None,
                None,
                "certdesk",
            ),
            region: config
                .get("region")
                .unwrap_or("us-east-1")
                .trim()
                .to_owned(),
            hosted_zone_id: config
                .get("hosted_zone_id")
                .map(|id| id.trim().trim_start_matches("/hostedzone/").to_owned()),
            insync_timeout: config.propagation()?.timeout,
        })
    }

    /// `base/2013-04-01/{path}` with `query`, encoded once so that the signed URL is the sent one.
    fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<url::Url> {
        let mut url = url::Url::parse(&format!("{}/{API}/{path}", self.base))
            .map_err(|e| Error::input(format!("the Route 53 endpoint is not a URL base ({e})")))?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// One signed call; throttling is retried with a pause, any other refusal becomes Route 53's
    /// own error text.
    async fn call<T: DeserializeOwned>(
        &self,
        doing: &str,
        method: Method,
        url: url::Url,
        body: Option<String>,
    ) -> Result<T> {
        let mut attempt = 1;
        loop {
            let body_bytes = body.as_deref().unwrap_or("").as_bytes();
            let mut request = self
                .client
                .request(method.clone(), url.clone())
                .body(body_bytes.to_vec());
            if body.is_some() {
                request = request.header("Content-Type", "application/xml");
            }
            for (name, value) in self.signature(method.as_str(), url.as_str(), body_bytes, doing)? {
                request = request.header(name, value);
            }
            let response = http::send(SPEC.label, doing, request).await?;
            let status = response.status();
            let text = http::text(SPEC.label, doing, response).await?;
            if status.is_success() {
                return quick_xml::de::from_str(&text).map_err(|e| {
                    provider_error(
                        SPEC.label,
                        doing,
                        format!("the answer is not what its API documents ({e})"),
                    )
                });
            }
            let error = explain(&text);
            let throttled = status.as_u16() == 429
                || error.as_ref().is_some_and(|(code, _)| {
                    matches!(
                        code.as_str(),
                        "Throttling" | "ThrottlingException" | "PriorRequestNotComplete"
                    )
                });
            if throttled && attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
                attempt += 1;
                continue;
            }
            let text = match error {
                Some((code, message)) => format!("{code}: {message}"),
                None => text.chars().take(500).collect(),
            };
            return Err(provider_error(
                SPEC.label,
                doing,
                format!("HTTP {status}: {}", text.trim()),
            ));
        }
    }

    /// The SigV4 headers (`authorization`, `x-amz-date`) for one request.
    fn signature(
        &self,
        method: &str,
        url: &str,
        body: &[u8],
        doing: &str,
    ) -> Result<Vec<(String, String)>> {
        let identity = self.credentials.clone().into();
        let failed = |e: &dyn std::fmt::Display| {
            provider_error(SPEC.label, doing, format!("cannot sign the request ({e})"))
        };
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name("route53")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| failed(&e))?
            .into();
        let request =
            SignableRequest::new(method, url, std::iter::empty(), SignableBody::Bytes(body))
                .map_err(|e| failed(&e))?;
        let (instructions, _) = sign(request, &params).map_err(|e| failed(&e))?.into_parts();
        Ok(instructions
            .headers()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }

    /// The ID of the public hosted zone `zone`: the configured one, else the only public zone of
    /// that exact name (a private zone of the same name is of no use to a public CA).
    async fn zone_id(&self, zone: &str, doing: &str) -> Result<String> {
        if let Some(id) = &self.hosted_zone_id {
            return Ok(id.clone());
        }
        let wanted = format!("{}.", zone.trim_end_matches('.'));
        let mut found = Vec::new();
        let mut next: Option<(String, String)> = None;
        loop {
            let mut query = vec![("dnsname", wanted.as_str())];
            if let Some((_, id)) = &next {
                query.push(("hostedzoneid", id));
            }
            let url = self.url("hostedzonesbyname", &query)?;
            let page: ZoneList = self.call(doing, Method::GET, url, None).await?;
            let mut past = false;
            for z in page.hosted_zones.hosted_zone {
                if !z.name.eq_ignore_ascii_case(&wanted) {
                    past = true;
                    break;
                }
                if !z.config.is_some_and(|c| c.private_zone) {
                    found.push(z.id.trim_start_matches("/hostedzone/").to_owned());
                }
            }
            next = match (
                page.is_truncated,
                page.next_dns_name,
                page.next_hosted_zone_id,
            ) {
                (true, Some(name), Some(id)) if !past && name.eq_ignore_ascii_case(&wanted) => {
                    Some((name, id))
                }
                _ => None,
            };
            if next.is_none() {
                break;
            }
        }
        match found.as_slice() {
            [id] => Ok(id.clone()),
            [] => Err(provider_error(
                SPEC.label,
                doing,
                format!("no public hosted zone {zone} in this AWS account"),
            )),
            ids => Err(provider_error(
                SPEC.label,
                doing,
                format!(
                    "several public hosted zones are named {zone} ({}): set hosted_zone_id",
                    ids.join(", ")
                ),
            )),
        }
    }

    /// The TXT set at `fqdn`, if there is one.
    async fn txt_records(
        &self,
        zone_id: &str,
        fqdn: &str,
        doing: &str,
    ) -> Result<Option<TxtRecords>> {
        let name = format!("{}.", fqdn.trim_end_matches('.'));
        let url = self.url(
            &format!("hostedzone/{zone_id}/rrset"),
            &[("name", &name), ("type", "TXT"), ("maxitems", "1")],
        )?;
        let list: RecordSetList = self.call(doing, Method::GET, url, None).await?;
        // The list starts at the name and type asked for: the first set may be a later one.
        Ok(list
            .resource_record_sets
            .resource_record_set
            .into_iter()
            .find(|s| s.r#type == "TXT" && s.name.eq_ignore_ascii_case(&name))
            .map(|s| TxtRecords {
                ttl: s.ttl.unwrap_or(0),
                values: s
                    .resource_records
                    .map(|r| r.resource_record.into_iter().map(|r| r.value).collect())
                    .unwrap_or_default(),
            }))
    }

    /// Sends one change of the TXT set at `fqdn`; Route 53 answers before it is on its servers.
    async fn submit(
        &self,
        zone_id: &str,
        action: &str,
        fqdn: &str,
        records: &TxtRecords,
        doing: &str,
    ) -> Result<ChangeInfo> {
        let url = self.url(&format!("hostedzone/{zone_id}/rrset"), &[])?;
        let body = change_batch(action, fqdn, records);
        let answer: ChangeAnswer = self.call(doing, Method::POST, url, Some(body)).await?;
        Ok(answer.change_info)
    }

    /// Polls the change until Route 53 reports it `INSYNC` (on all of its nameservers), at most
    /// the propagation timeout.
    async fn wait_insync(&self, mut info: ChangeInfo, doing: &str) -> Result<()> {
        let id = info.id.trim_start_matches("/change/").to_owned();
        let deadline = Instant::now() + self.insync_timeout;
        let mut pause = Duration::from_millis(500);
        while info.status != "INSYNC" {
            if Instant::now() >= deadline {
                return Err(provider_error(
                    SPEC.label,
                    doing,
                    format!(
                        "change {id} is still {} after {} s (propagation_timeout); Route 53 \
                         usually syncs within a minute",
                        info.status,
                        self.insync_timeout.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(pause.min(deadline - Instant::now())).await;
            pause = (pause * 2).min(MAX_POLL);
            let url = self.url(&format!("change/{id}"), &[])?;
            let answer: ChangeAnswer = self.call(doing, Method::GET, url, None).await?;
            info = answer.change_info;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl DnsProvider for Route53 {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("adding TXT {}", set.fqdn);
        let zone_id = self.zone_id(&set.zone, &doing).await?;
        let current = self.txt_records(&zone_id, &set.fqdn, &doing).await?;
        let mut values = current.map(|c| c.values).unwrap_or_default();
        let before = values.len();
        for value in set.values.iter().map(|v| quote(v)) {
            if !values.contains(&value) {
                values.push(value);
            }
        }
        if values.len() == before {
            return Ok(());
        }
        let records = TxtRecords {
            ttl: self.ttl(),
            values,
        };
        let info = self
            .submit(&zone_id, "UPSERT", &set.fqdn, &records, &doing)
            .await?;
        if let Err(e) = self.wait_insync(info, &doing).await {
            // Written but not known to be served: take our values back rather than leave them
            // (the publication only cleans up the names whose present succeeded).
            let _ = self.cleanup(set).await;
            return Err(e);
        }
        Ok(())
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        let doing = format!("removing TXT {}", set.fqdn);
        let zone_id = self.zone_id(&set.zone, &doing).await?;
        let Some(current) = self.txt_records(&zone_id, &set.fqdn, &doing).await? else {
            return Ok(());
        };
        let ours: Vec<String> = set.values.iter().map(|v| quote(v)).collect();
        let remaining: Vec<String> = current
            .values
            .iter()
            .filter(|v| !ours.contains(v))
            .cloned()
            .collect();
        if remaining.len() == current.values.len() {
            return Ok(());
        }
        // Not waited for: nothing depends on the removal being on every nameserver yet.
        if remaining.is_empty() {
            // A DELETE must name the set exactly as it is: its values and TTL.
            self.submit(&zone_id, "DELETE", &set.fqdn, &current, &doing)
                .await?;
        } else {
            let records = TxtRecords {
                ttl: current.ttl,
                values: remaining,
            };
            self.submit(&zone_id, "UPSERT", &set.fqdn, &records, &doing)
                .await?;
        }
        Ok(())
    }

    async fn test(&self, zone: Option<&str>) -> Result<String> {
        let doing = "testing";
        let Some(zone) = zone else {
            let url = self.url("hostedzonesbyname", &[("maxitems", "1")])?;
            let _: ZoneList = self.call(doing, Method::GET, url, None).await?;
            return Ok("Route 53 accepts the credentials".to_owned());
        };
        let zone_id = self.zone_id(zone, doing).await?;
        if self.hosted_zone_id.is_some() {
            // The configured ID must really be this zone's, or every change would be refused.
            let url = self.url(&format!("hostedzone/{zone_id}"), &[])?;
            let answer: ZoneAnswer = self.call(doing, Method::GET, url, None).await?;
            let name = answer.hosted_zone.name.trim_end_matches('.');
            if !name.eq_ignore_ascii_case(zone.trim_end_matches('.')) {
                return Err(provider_error(
                    SPEC.label,
                    doing,
                    format!("hosted zone {zone_id} is {name}, not {zone}: fix hosted_zone_id"),
                ));
            }
        }
        let url = self.url(&format!("hostedzone/{zone_id}/rrset"), &[("maxitems", "1")])?;
        let _: RecordSetList = self.call(doing, Method::GET, url, None).await?;
        Ok(format!(
            "hosted zone {zone} ({zone_id}) is readable with these credentials"
        ))
    }
}

/// A TXT value as Route 53 writes it: one quoted string (challenge values need no escapes).
fn quote(value: &str) -> String {
    format!("\"{value}\"")
}

/// The ChangeResourceRecordSetsRequest document for one change of one TXT set.
fn change_batch(action: &str, fqdn: &str, records: &TxtRecords) -> String {
    use quick_xml::escape::escape;
    let values: String = records
        .values
        .iter()
        .map(|v| {
            format!(
                "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                escape(v.as_str())
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <ChangeResourceRecordSetsRequest xmlns=\"{XMLNS}\"><ChangeBatch>\
         <Comment>certdesk dns-01 challenge</Comment><Changes><Change>\
         <Action>{action}</Action><ResourceRecordSet><Name>{name}.</Name><Type>TXT</Type>\
         <TTL>{ttl}</TTL><ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>\
         </Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
        name = escape(fqdn.trim_end_matches('.')),
        ttl = records.ttl,
    )
}

/// Route 53's error code and message: `<ErrorResponse><Error><Code/><Message/>` for most
/// errors, `<InvalidChangeBatch><Messages><Message/>…` for a refused change batch.
fn explain(body: &str) -> Option<(String, String)> {
    let parsed: ErrorAnswer = quick_xml::de::from_str(body).ok()?;
    if let Some(error) = parsed.error {
        return Some((error.code, error.message.unwrap_or_default()));
    }
    let messages = parsed.messages?.message;
    (!messages.is_empty()).then(|| ("InvalidChangeBatch".to_owned(), messages.join("; ")))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ZoneList {
    #[serde(default)]
    hosted_zones: HostedZones,
    #[serde(default)]
    is_truncated: bool,
    #[serde(rename = "NextDNSName")]
    next_dns_name: Option<String>,
    next_hosted_zone_id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct HostedZones {
    #[serde(default)]
    hosted_zone: Vec<HostedZone>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostedZone {
    id: String,
    name: String,
    config: Option<ZoneConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ZoneConfig {
    #[serde(default)]
    private_zone: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ZoneAnswer {
    hosted_zone: HostedZone,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordSetList {
    #[serde(default)]
    resource_record_sets: RecordSets,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RecordSets {
    #[serde(default)]
    resource_record_set: Vec<RecordSet>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordSet {
    name: String,
    r#type: String,
    #[serde(rename = "TTL")]
    ttl: Option<u32>,
    resource_records: Option<ResourceRecords>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceRecords {
    #[serde(default)]
    resource_record: Vec<ResourceRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ResourceRecord {
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeAnswer {
    change_info: ChangeInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeInfo {
    id: String,
    status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorAnswer {
    error: Option<ErrorDetail>,
    messages: Option<Messages>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorDetail {
    code: String,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Messages {
    #[serde(default)]
    message: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_in_both_of_route53s_formats_are_explained() {
        let body = "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"https://route53.amazonaws.com/\
                    doc/2013-04-01/\"><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code>\
                    <Message>The security token included in the request is invalid.</Message>\
                    </Error><RequestId>1</RequestId></ErrorResponse>";
        assert_eq!(
            explain(body),
            Some((
                "InvalidClientTokenId".into(),
                "The security token included in the request is invalid.".into()
            ))
        );
        let body = "<InvalidChangeBatch xmlns=\"x\"><Messages><Message>one</Message>\
                    <Message>two</Message></Messages></InvalidChangeBatch>";
        assert_eq!(
            explain(body),
            Some(("InvalidChangeBatch".into(), "one; two".into()))
        );
        assert_eq!(explain("<html>bad gateway</html>"), None);
    }

    #[test]
    fn a_change_batch_quotes_and_escapes() {
        let records = TxtRecords {
            ttl: 120,
            values: vec![quote("abc"), "\"a<b\"".into()],
        };
        let xml = change_batch("UPSERT", "_acme-challenge.example.com", &records);
        assert!(
            xml.contains("<Name>_acme-challenge.example.com.</Name>"),
            "{xml}"
        );
        assert!(xml.contains("<Value>&quot;abc&quot;</Value>"), "{xml}");
        assert!(xml.contains("<Value>&quot;a&lt;b&quot;</Value>"), "{xml}");
    }
}
