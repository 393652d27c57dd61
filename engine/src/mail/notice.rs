//! What the administrator is told by e-mail about renewals: one mail per event, or — with the
//! daily digest on — one mail a day listing everything that happened.
//!
//! Digest notices wait in one record of the settings tree. Concurrent renewals report at the same
//! time, so appending to that record is a read-modify-write guarded by [`QUEUE`]; the data folder
//! is locked to one process, so a lock in this process is enough.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{smtp, MailSent};
use crate::activity::{Action, Face, Subject};
use crate::endpoints::EndpointNews;
use crate::error::Result;
use crate::next_step::NextStep;
use crate::store::{Change, Record, Store, Table};
use crate::Engine;

/// The key of the digest queue in the settings tree.
const QUEUE_KEY: &str = "mail_digest";

/// Serialises changes of the digest queue (see the module documentation).
static QUEUE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Something the administrator should hear about a saved certificate or a watched endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A new version was saved; `not_after` is its expiry.
    Renewed {
        id: String,
        names: Vec<String>,
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
        /// The request's fallback CA account, when the renewal was ordered there because its
        /// own CA kept failing.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        through_fallback: Option<String>,
    },
    /// A renewal attempt failed; `reason` is the error in words, `next_attempt` when the
    /// scheduler tries again (none: it will not by itself).
    Failed {
        id: String,
        names: Vec<String>,
        reason: String,
        #[serde(default, with = "time::serde::rfc3339::option")]
        next_attempt: Option<OffsetDateTime>,
    },
    /// The certificate's renewal window is open but it cannot renew by itself (its challenges are
    /// answered by hand, or it is tracked: issued elsewhere): a reminder to do it.
    ExpiringSoon {
        id: String,
        names: Vec<String>,
        #[serde(with = "time::serde::rfc3339")]
        not_after: OffsetDateTime,
        /// A tracked certificate, which certdesk does not renew.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        tracked: bool,
    },
    /// A scheduled check of a watched endpoint found what the check before did not.
    Endpoint(EndpointNews),
}

/// A notice waiting for the digest, with when it was queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Queued {
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
    notice: Notice,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct DigestQueue {
    notices: Vec<Queued>,
    /// When the last digest went out, so that it goes out once a day.
    #[serde(default, with = "time::serde::rfc3339::option")]
    last_sent: Option<OffsetDateTime>,
}

impl Record for DigestQueue {
    const TABLE: Table = Table::Settings;
    fn key(&self) -> &str {
        QUEUE_KEY
    }
}

fn date(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC).date().to_string()
}

fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute())
}

impl Notice {
    /// The certificate the notice is about, its id and names; none for an endpoint's.
    pub(crate) fn certificate(&self) -> Option<(&str, &[String])> {
        match self {
            Self::Renewed { id, names, .. }
            | Self::Failed { id, names, .. }
            | Self::ExpiringSoon { id, names, .. } => Some((id, names)),
            Self::Endpoint(_) => None,
        }
    }

    /// What the notice is about in words: the certificate's names, first (common) name first,
    /// or the endpoint.
    fn names(&self) -> String {
        match (self, self.certificate()) {
            (Self::Endpoint(news), _) => format!("endpoint {}", news.endpoint),
            (_, Some((id, []))) => format!("certificate {id}"),
            (_, Some((_, names))) => names.join(", "),
            (_, None) => String::new(),
        }
    }

    /// One line: what happened to which certificate.
    pub fn headline(&self) -> String {
        let names = self.names();
        match self {
            Self::Renewed { not_after, .. } => {
                format!("Renewed {names} (valid until {})", date(*not_after))
            }
            Self::Failed { .. } => format!("Renewal of {names} failed"),
            Self::ExpiringSoon {
                not_after, tracked, ..
            } => format!(
                "{names} expires on {} and must be renewed {}",
                date(*not_after),
                match tracked {
                    true => "where it was issued",
                    false => "by hand",
                }
            ),
            Self::Endpoint(news) => format!("{names} ({}): {}", news.sni, news.kinds()),
        }
    }

    /// What the administrator must do about the certificate: renew it by hand when no further
    /// attempt is scheduled or its challenges are answered by hand.
    fn next_step(&self) -> Option<NextStep> {
        match self {
            Self::Failed {
                next_attempt: None, ..
            }
            | Self::ExpiringSoon { tracked: false, .. } => Some(NextStep::Renew {
                cert: self.certificate()?.0.to_owned(),
            }),
            Self::Failed { .. }
            | Self::Renewed { .. }
            | Self::ExpiringSoon { .. }
            | Self::Endpoint(_) => None,
        }
    }

    /// The headline and the details: the reason of a failure and what happens next.
    pub(crate) fn text(&self) -> String {
        let step = self
            .next_step()
            .as_ref()
            .and_then(in_mail)
            .unwrap_or_default();
        let mut out = format!("{}\n", self.headline());
        match self {
            Self::Renewed {
                through_fallback: Some(account),
                ..
            } => out.push_str(&format!(
                "  Issued through the fallback CA account {account}: the request's own CA failed \
                 several times in a row. Its next renewal goes to its own CA again.\n"
            )),
            Self::Renewed { .. } => {}
            Self::Failed {
                reason,
                next_attempt,
                ..
            } => {
                out.push_str(&format!("  Reason: {}\n", reason.replace('\n', "\n    ")));
                match next_attempt {
                    Some(t) => out.push_str(&format!("  Next attempt: {}\n", when(*t))),
                    None => out.push_str(&format!("  No further attempt is scheduled: {step}\n")),
                }
            }
            Self::ExpiringSoon { tracked: true, .. } => out.push_str(
                "  It is tracked: certdesk did not issue it and does not renew it. Renew it where \
                 it was issued, and import the new certificate (certdesk cert import FILE).\n",
            ),
            Self::ExpiringSoon { .. } => out.push_str(&format!(
                "  Its challenges are answered by hand: {step}, and publish them.\n"
            )),
            Self::Endpoint(news) => {
                for finding in &news.findings {
                    out.push_str(&format!("  - {}\n", finding.detail));
                }
                out.push_str(&format!(
                    "  Check it again with Check now in the app's Endpoints tab (or `certdesk \
                     endpoint check {}`).\n",
                    news.endpoint
                ));
            }
        }
        if let Some((id, _)) = self.certificate() {
            out.push_str(&format!("  Certificate id: {id}\n"));
        }
        out
    }
}

/// A next step as an e-mail words it: the app's button, and the CLI's command as the other way.
/// Notices carry only the steps worded here.
fn in_mail(step: &NextStep) -> Option<String> {
    match step {
        NextStep::Renew { cert } => Some(format!(
            "renew it with Renew now in the app's Certificates tab (or `certdesk cert renew {cert}`)"
        )),
        _ => None,
    }
}

/// The owner of the digest queue (one record of the Settings table, beside the settings):
/// notices wait there for the daily digest.
pub(crate) struct DigestQueues {
    store: Arc<Store>,
}

impl DigestQueues {
    pub fn new(store: &Arc<Store>) -> Self {
        Self {
            store: Arc::clone(store),
        }
    }

    fn queue(&self) -> Result<DigestQueue> {
        Ok(self
            .store
            .get::<DigestQueue>(QUEUE_KEY)?
            .unwrap_or_default())
    }

    /// Queues `notice`, noticed at `at`.
    async fn push(&self, notice: &Notice, at: OffsetDateTime) -> Result<()> {
        let _alone = QUEUE.lock().await;
        let mut queue = self.queue()?;
        queue.notices.push(Queued {
            at,
            notice: notice.clone(),
        });
        self.store.commit(Change::new().put(&queue)).await
    }

    /// Forgets the first `count` notices, sent in the digest at `now`. Only appends happen
    /// meanwhile, so those are the ones sent.
    async fn sent(&self, count: usize, now: OffsetDateTime) -> Result<()> {
        let _alone = QUEUE.lock().await;
        let mut queue = self.queue()?;
        queue.notices.drain(..count.min(queue.notices.len()));
        queue.last_sent = Some(now);
        self.store.commit(Change::new().put(&queue)).await
    }
}

impl Engine {
    /// Tells the administrator about `notice` by e-mail: at once, or, with the daily digest on,
    /// in the next [`Engine::send_digest`]. Nothing happens while no SMTP server is set.
    pub async fn notify_mail(&self, notice: &Notice) -> Result<()> {
        let settings = self.settings()?.smtp;
        if settings.host.is_empty() {
            return Ok(());
        }
        if settings.digest {
            return self
                .digest_queue
                .push(notice, OffsetDateTime::now_utc())
                .await;
        }
        let body = format!(
            "{}\n-- \ncertdesk, {}\n",
            notice.text(),
            self.data_dir().display()
        );
        self.send_mail(None, &notice.headline(), smtp::Body::Text(body))
            .await
            .map(|_| ())
    }

    /// Notices wait for the digest, the last one went out a day or more before `now` (or never)
    /// and an SMTP server is set: the scheduler's cue to call [`Engine::send_digest`].
    pub fn digest_due(&self, now: OffsetDateTime) -> Result<bool> {
        if self.settings()?.smtp.host.is_empty() {
            return Ok(false);
        }
        let queue = self.digest_queue.queue()?;
        Ok(!queue.notices.is_empty()
            && queue
                .last_sent
                .is_none_or(|last| now - last >= time::Duration::DAY))
    }

    /// Sends every queued digest notice now, in one mail, and then forgets them in one
    /// transaction. Returns the mail, or none when nothing was queued. Notices queued while the
    /// mail is on its way stay for the next digest.
    pub async fn send_digest(&self, now: OffsetDateTime) -> Result<Option<MailSent>> {
        self.send_digest_by(self.face, now).await
    }

    /// [`Engine::send_digest`] logged as `face`'s: the scheduler's on its pass. An empty queue
    /// sends nothing and logs nothing.
    pub(crate) async fn send_digest_by(
        &self,
        face: Face,
        now: OffsetDateTime,
    ) -> Result<Option<MailSent>> {
        let queued = self.digest_queue.queue()?.notices;
        if queued.is_empty() {
            return Ok(None);
        }
        let count = format!("{} notices", queued.len());
        let sent = self.mail_digest(&queued, now).await;
        self.noted_by(
            face,
            Action::SendDigest,
            Subject::default().target(&count),
            sent,
        )
        .await
        .map(Some)
    }

    /// The digest mail of `queued`, sent; then they are forgotten.
    async fn mail_digest(&self, queued: &[Queued], now: OffsetDateTime) -> Result<MailSent> {
        let subject = format!(
            "certdesk digest for {}: {} notice{}",
            date(now),
            queued.len(),
            if queued.len() == 1 { "" } else { "s" }
        );
        let mut body = format!("{subject}\n\n");
        for q in queued {
            body.push_str(&format!("[{}] {}\n", when(q.at), q.notice.text()));
        }
        body.push_str(&format!("-- \ncertdesk, {}\n", self.data_dir().display()));
        let sent = self
            .send_mail(None, &subject, smtp::Body::Text(body))
            .await?;
        self.digest_queue.sent(queued.len(), now).await?;
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(next_attempt: Option<OffsetDateTime>) -> Notice {
        Notice::Failed {
            id: "r2".into(),
            names: vec!["b.example.com".into()],
            reason: "the CA refused".into(),
            next_attempt,
        }
    }

    #[test]
    fn a_renewal_by_hand_names_the_button_and_the_command() {
        let expiring = Notice::ExpiringSoon {
            id: "r3".into(),
            names: vec!["c.example.com".into()],
            not_after: OffsetDateTime::UNIX_EPOCH,
            tracked: false,
        };
        assert_eq!(
            expiring.next_step(),
            Some(NextStep::Renew { cert: "r3".into() })
        );
        assert!(expiring.text().contains(
            "Its challenges are answered by hand: renew it with Renew now in the app's \
             Certificates tab (or `certdesk cert renew r3`), and publish them."
        ));
        assert!(failed(None).text().contains(
            "No further attempt is scheduled: renew it with Renew now in the app's Certificates \
             tab (or `certdesk cert renew r2`)"
        ));
    }

    #[test]
    fn a_scheduled_attempt_asks_for_nothing() {
        let notice = failed(Some(OffsetDateTime::UNIX_EPOCH));
        assert_eq!(notice.next_step(), None);
        assert!(notice.text().contains("Next attempt:"));
        assert!(!notice.text().contains("certdesk cert renew"));
    }
}
