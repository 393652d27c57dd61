//! One request's dns-01 records through a DNS account: written together, waited for on every
//! authoritative nameserver, and removed again whatever the CA decided.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::lookup::{self, Lookup, Nameserver};
use super::{DnsProvider, TxtSet};
use certdesk_base::error::{Error, Result};

/// The first propagation check comes quickly (an API that writes to its nameservers directly is
/// often done at once); later ones back off to this.
const MAX_POLL: Duration = Duration::from_secs(5);

/// The records a request published. [`Publication::cleanup`] removes them; it is async, so it
/// cannot run on drop: callers clean up on every path (and a kill leaves the values for the next
/// cleanup of the same names).
pub struct Publication {
    provider: Box<dyn DnsProvider>,
    sets: Vec<TxtSet>,
}

impl Publication {
    /// Groups `records` (TXT name, value) by the name they are written at after CNAMEs, finds
    /// each one's zone and writes them. A failure part way removes what was written.
    pub async fn present(
        provider: Box<dyn DnsProvider>,
        lookup: &Lookup,
        records: &[(String, String)],
    ) -> Result<Self> {
        let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in records {
            let target = lookup.follow_cnames(name).await?;
            let values = by_name.entry(target).or_default();
            if !values.contains(value) {
                values.push(value.clone());
            }
        }
        let mut sets = Vec::new();
        for (fqdn, values) in by_name {
            let zone = lookup.zone_of(&fqdn).await?;
            sets.push(TxtSet { fqdn, zone, values });
        }
        let mut publication = Self {
            provider,
            sets: Vec::new(),
        };
        for set in sets {
            if let Err(e) = publication.provider.present(&set).await {
                // Best effort: the error that stopped us is the one to report.
                let _ = publication.cleanup().await;
                return Err(e);
            }
            publication.sets.push(set);
        }
        Ok(publication)
    }

    /// Waits until every nameserver of each zone answers with all our values, or `timeout`
    /// passes; the error names each server still behind and what it answers.
    pub async fn wait_propagated(&self, lookup: &Lookup, timeout: Duration) -> Result<()> {
        let mut checks: Vec<(&TxtSet, Vec<Nameserver>)> = Vec::new();
        for set in &self.sets {
            checks.push((set, lookup.authoritative(&set.zone).await?));
        }
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(200);
        loop {
            let mut behind = Vec::new();
            for (set, servers) in &checks {
                for server in servers {
                    let seen = lookup::txt_values(server.addr, &set.fqdn).await;
                    let missing = match &seen {
                        Ok(values) => set.values.iter().any(|v| !values.contains(v)),
                        Err(_) => true,
                    };
                    if missing {
                        behind.push((set.fqdn.as_str(), server, seen));
                    }
                }
            }
            if behind.is_empty() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Dns(format!(
                    "the TXT records did not reach every nameserver within {} s \
                     (propagation_timeout): {}",
                    timeout.as_secs(),
                    behind
                        .iter()
                        .map(|(fqdn, server, seen)| match seen {
                            Ok(v) if v.is_empty() => format!("{server} has no TXT at {fqdn}"),
                            Ok(v) => format!("{server} answers {v:?} at {fqdn}"),
                            Err(e) => format!("{server}: {e}"),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                )));
            }
            tokio::time::sleep(pause.min(deadline - Instant::now())).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }

    /// Removes every value this publication wrote; tries all sets and reports the first failure.
    pub async fn cleanup(self) -> Result<()> {
        let mut first = None;
        for set in &self.sets {
            if let Err(e) = self.provider.cleanup(set).await {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}
