//! Fills a data folder's repository with N copies of its one saved certificate, each under its
//! own id with its own names and expiry, so that `bench/app.py` can time the window against a
//! repository of 10,000 certificates without issuing 10,000 of them.
//!
//! Usage: `cargo run --release -p certdesk-app --example seed_repository -- DATA_DIR N
//! [--with-requests]`. The folder must hold exactly one saved certificate (the bench issues it
//! through Pebble). `--with-requests` gives each copy a copy of the template's request too, as
//! the renewal scheduler reads both (`bench/renewal.py`).

use std::path::PathBuf;

use certdesk_engine::store::{Change, Record, Store, Table};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A repository entry as stored, read and written without knowing its layout beyond the id.
#[derive(Serialize, Deserialize, Clone)]
struct RawCert {
    id: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl Record for RawCert {
    const TABLE: Table = Table::Certificates;
    fn key(&self) -> &str {
        &self.id
    }
}

/// A certificate's view (what the list reads), likewise.
#[derive(Serialize, Deserialize, Clone)]
struct RawView {
    id: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl Record for RawView {
    const TABLE: Table = Table::CertificateViews;
    fn key(&self) -> &str {
        &self.id
    }
}

/// A request as stored, likewise.
#[derive(Serialize, Deserialize, Clone)]
struct RawRequest {
    id: String,
    #[serde(flatten)]
    rest: Map<String, Value>,
}

impl Record for RawRequest {
    const TABLE: Table = Table::Requests;
    fn key(&self) -> &str {
        &self.id
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(count)) = (args.next(), args.next()) else {
        return Err("usage: seed_repository DATA_DIR N".into());
    };
    let count: usize = count.parse()?;
    let with_requests = args.next().as_deref() == Some("--with-requests");
    let store = Store::open(&PathBuf::from(dir))?;
    let all = store.list::<RawCert>()?;
    let [template] = all.as_slice() else {
        return Err(format!("expected one saved certificate, found {}", all.len()).into());
    };
    let view = store
        .get::<RawView>(&template.id)?
        .ok_or("the template certificate has no view: open the data folder with certdesk first")?;
    let request = match with_requests {
        true => Some(
            store
                .get::<RawRequest>(&template.id)?
                .ok_or("the template certificate has no request")?,
        ),
        false => None,
    };
    let now = OffsetDateTime::now_utc();
    let mut change = Change::new();
    for i in 0..count {
        let mut cert = template.clone();
        cert.id = format!("bench{i:05}");
        let names = json_names(i);
        // Expiries spread from 20 days ago to a year ahead: every "days left" filter has rows.
        let not_after = (now + Duration::days((i % 385) as i64 - 20)).format(&Rfc3339)?;
        let not_before = (now - Duration::days(60)).format(&Rfc3339)?;
        let serial = Value::String(format!("{:032x}", 0xbe9c_0000_0000u64 + i as u64));
        let patch = |fields: &mut Map<String, Value>| {
            fields.insert("names".into(), names.clone());
            fields.insert("not_after".into(), Value::String(not_after.clone()));
            fields.insert("not_before".into(), Value::String(not_before.clone()));
            fields.insert("serial".into(), serial.clone());
        };
        let mut versions = 0;
        if let Some(Value::Array(all)) = cert.rest.get_mut("versions") {
            all.iter_mut()
                .filter_map(Value::as_object_mut)
                .for_each(patch);
            versions = all.len();
        }
        let mut view = RawView {
            id: cert.id.clone(),
            ..view.clone()
        };
        patch(&mut view.rest);
        view.rest
            .insert("serials".into(), Value::Array(vec![serial; versions]));
        change = change.put(&view);
        change = change.put(&cert);
        if let Some(request) = &request {
            let mut request = request.clone();
            request.id = cert.id.clone();
            change = change.put(&request);
        }
        if (i + 1) % 500 == 0 {
            store.commit(std::mem::take(&mut change)).await?;
        }
    }
    store.commit(change).await?;
    println!("{count} certificates in the repository");
    Ok(())
}

fn json_names(i: usize) -> Value {
    let zone = ["example.com", "example.net", "example.org", "corp.example"][i % 4];
    Value::Array(vec![
        Value::String(format!("host{i}.{zone}")),
        Value::String(format!("www.host{i}.{zone}")),
    ])
}
