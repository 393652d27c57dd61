//! A saved certificate at a Pebble with ARI (RFC 9773), and the times renewal tests pass to
//! `certdesk renew --due --now`. The renewal windows are Pebble's own, set per certificate on its
//! management port; the client talks to Pebble through the [`CaProxy`], which records its
//! requests and plays the faults Pebble cannot make (a CA without ARI, one that is down, …).

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::ca_proxy::CaProxy;
use super::certdesk::Certdesk;
use super::pebble::Pebble;

/// One saved certificate issued by Pebble through the [`CaProxy`], with the built-in responder
/// set in the settings so that its renewals are automated.
pub struct Saved {
    /// The CA behind the proxy.
    pub pebble: Pebble,
    pub proxy: CaProxy,
    pub cd: Certdesk,
    pub id: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Saved {
    /// A certificate for `name` valid `days` days, saved; the CA offers ARI when `ari` (Pebble's
    /// own window until [`Saved::window`]), or the proxy hides it.
    pub fn issue(name: &str, days: u64, ari: bool) -> Saved {
        let pebble = Pebble::builder().validity_days(days).start();
        let proxy = CaProxy::start(&pebble);
        proxy.control(json!({ "ari": ari }));
        let cd = Certdesk::new();
        super::steps::register_at(&cd, &proxy.directory_url(), proxy.ca_root_path());
        let listen = format!("127.0.0.1:{}", pebble.http_port());
        cd.json(["settings", "set", "http01.listen", &listen]);
        let created = cd.json(super::Create::new(&[name], "http-01").with([
            "--http-listen",
            &listen,
            "--save",
        ]));
        assert_eq!(created["status"], "saved", "{created:#}");
        let id = created["id"].as_str().expect("an id").to_owned();
        let cert = cd.json(["cert", "show", &id]);
        Saved {
            not_before: time_of(&cert["not_before"]),
            not_after: time_of(&cert["not_after"]),
            pebble,
            proxy,
            cd,
            id,
        }
    }

    /// Makes the CA suggest renewing the current version of the certificate between `start`
    /// and `end` (Pebble's `/set-renewal-info/`).
    pub fn window(&self, start: OffsetDateTime, end: OffsetDateTime) {
        let history = self.cd.json(["cert", "history", &self.id]);
        let current = history
            .as_array()
            .and_then(|versions| versions.last())
            .expect("a saved version");
        let pem = current["certificate_pem"]
            .as_str()
            .expect("certificate_pem");
        let answer = json!({ "suggestedWindow": { "start": rfc(start), "end": rfc(end) } });
        self.pebble.set_renewal_info(pem, &answer.to_string());
    }
}

/// A time as certdesk prints it (RFC 3339).
pub fn time_of(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().expect("a time"), &Rfc3339).expect("an RFC 3339 time")
}

/// The arguments of `certdesk renew --due --dry-run` as if it were `now`, listing what is due
/// by `by`; for [`super::Certdesk::run`] or [`super::Certdesk::json`].
pub fn due_by(now: OffsetDateTime, by: OffsetDateTime) -> [String; 7] {
    [
        "renew".into(),
        "--due".into(),
        "--dry-run".into(),
        "--now".into(),
        rfc(now),
        "--at".into(),
        rfc(by),
    ]
}

/// A time as certdesk takes it (`--now`, `--at`).
pub fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("format")
}
