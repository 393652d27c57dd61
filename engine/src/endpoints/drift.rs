//! Drift: an endpoint that serves an older version of a certificate in the repository than its
//! current one — a renewal saved but never installed, a server restored from a backup. Judged
//! by the served leaf's serial against every version's, a pure function of what the repository
//! holds.

use time::OffsetDateTime;

use super::findings::{Finding, FindingKind};

/// One certificate of the repository as drift needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Known {
    pub id: String,
    /// Every version's serial (as [`crate::certinfo::CertInfo`] writes it), oldest first: the
    /// last is current.
    pub serials: Vec<String>,
    pub current_not_after: OffsetDateTime,
    /// The request's deploy mapping, which should have installed the current version.
    pub mapping: Option<String>,
}

/// The drift finding for a served leaf of serial `served`, if it is an older version of one of
/// `known`.
pub fn drift(served: &str, known: &[Known]) -> Option<Finding> {
    known.iter().find_map(|cert| {
        let (current, older) = cert.serials.split_last()?;
        let index = older.iter().position(|s| s == served)?;
        let fix = match &cert.mapping {
            Some(m) => format!(
                "deploy mapping {m} should have installed it: deploy it now (`certdesk deploy \
                 run {m} --cert {}`)",
                cert.id
            ),
            None => "no deploy mapping installs it: install it on the server".to_owned(),
        };
        Some(Finding {
            kind: FindingKind::Drift,
            detail: format!(
                "the server serves version {} of {} of certificate {} (serial {served}), not the \
                 current one (serial {current}, valid until {}); {fix}",
                index + 1,
                cert.serials.len(),
                cert.id,
                cert.current_not_after.date()
            ),
            cert: Some(cert.id.clone()),
            mapping: cert.mapping.clone(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(mapping: Option<&str>) -> Vec<Known> {
        vec![Known {
            id: "3f2a".into(),
            serials: vec!["01".into(), "02".into(), "03".into()],
            current_not_after: OffsetDateTime::UNIX_EPOCH,
            mapping: mapping.map(str::to_owned),
        }]
    }

    #[test]
    fn an_older_version_is_drift_and_the_current_one_is_not() {
        let found = drift("02", &known(Some("web"))).expect("drift");
        assert_eq!(found.kind, FindingKind::Drift);
        assert_eq!(
            (found.cert.as_deref(), found.mapping.as_deref()),
            (Some("3f2a"), Some("web"))
        );
        assert!(found.detail.contains("version 2 of 3"), "{}", found.detail);
        assert!(found.detail.contains("serial 03, valid until 1970-01-01"));
        assert!(found.detail.contains("certdesk deploy run web --cert 3f2a"));
        let unmapped = drift("01", &known(None)).expect("drift");
        assert!(
            unmapped.detail.contains("no deploy mapping"),
            "{}",
            unmapped.detail
        );
        assert_eq!(drift("03", &known(Some("web"))), None);
        assert_eq!(drift("ff", &known(Some("web"))), None);
    }
}
