//! A request's fallback CA account: a second ACME account, at another CA, that places a
//! renewal's order after [`FALLBACK_AFTER`](super::FALLBACK_AFTER) failed attempts in a row at
//! the request's own CA (an outage, a rate limit, a CA that refuses the names). The request keeps
//! its own CA: the next renewal goes there first again, so one bad day does not move a
//! certificate for good, and the administrator's choice of CA stands.

use crate::error::{Error, Result};
use crate::next_step::NextStep;
use crate::request::RequestInfo;
use crate::store::Change;
use crate::Engine;

impl Engine {
    /// The name of the account that `key` (an account's name or its CA's directory URL) names,
    /// checked to be usable as the fallback of a request whose own account is `primary`.
    pub(crate) fn fallback_for(&self, primary: &str, key: &str) -> Result<String> {
        let key = key.trim();
        let accounts = self.accounts.list()?;
        let Some(found) = accounts
            .iter()
            .find(|a| a.info.name == key)
            .or_else(|| accounts.iter().find(|a| a.info.directory_url == key))
        else {
            return Err(Error::blocked(
                format!(
                    "no account is named {key:?} or registered with that directory: register one \
                     at the fallback CA first, then name it"
                ),
                NextStep::RegisterAccount,
            ));
        };
        if found.info.name == primary {
            return Err(Error::input(format!(
                "account {primary:?} is the request's own account: a fallback must be an account \
                 at another CA"
            )));
        }
        found.ensure_active()?;
        Ok(found.info.name.clone())
    }

    /// Gives a request a fallback account (an account's name or its CA's directory URL) or,
    /// with `None`, takes it away. Its next renewals use it after failures in a row.
    pub async fn set_fallback(&self, id: &str, account: Option<&str>) -> Result<RequestInfo> {
        let staged = (|| {
            let mut record = self.request_record(id)?;
            record.info.fallback_account = match account {
                Some(key) => Some(self.fallback_for(&record.info.account, key)?),
                None => None,
            };
            record.info.updated = time::OffsetDateTime::now_utc();
            Ok((self.requests.put(Change::new(), &record), record.info))
        })();
        let subject = crate::activity::Subject::request(id);
        self.commit_noted(crate::activity::Action::SetFallback, subject, staged.into())
            .await
    }
}
