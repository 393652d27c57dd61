//! What the administrator must do next, as data: the engine says which step and with what, and
//! each face words it in its own terms (the CLI as the command to run, the window as a button,
//! an e-mail as both). The engine never names a face's command.

use serde::{Deserialize, Deserializer, Serialize};

use crate::challenge::ChallengeType;
pub use crate::listing::Listing;

/// The step a request waits for, with the data a face needs to offer it. Tagged by `step`, in
/// snake case, because the window receives it as it is serialised here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum NextStep {
    /// Publish each of the order's `challenge`s by hand, then verify. `declined`: the request's
    /// mapping does not answer dns-01 (and it has no DNS account), which is why by hand.
    Publish {
        request: String,
        challenge: ChallengeType,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        declined: Option<Dns01Declined>,
    },
    /// Verify: `by` publishes the TXT records.
    Verify { request: String, by: Publisher },
    /// The last step was cut off by `cause` (network, CA, local): verify again to go on.
    Resume { request: String, cause: String },
    /// The certificate is issued: save it to the repository.
    Save { request: String },
    /// The order failed: fix the cause, then start a fresh order. `cause` is in words when the
    /// CA's problem document (kept with the request) does not speak for itself.
    NewChallenge {
        request: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<String>,
    },
    /// Renew certificate `cert` (of the request with that id) now, by hand: no renewal is
    /// scheduled, or its challenges are answered by hand.
    Renew { cert: String },
    /// Deploying the saved certificate `cert` through `mapping` failed: deploy it again once
    /// the cause is fixed.
    Deploy { mapping: String, cert: String },
    /// What the validation left behind could not be removed (`cause`): remove it by hand, after
    /// (or besides) the step `then`.
    RemoveLeftovers {
        leftover: Leftover,
        cause: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        then: Option<Box<NextStep>>,
    },
    /// There is no ACME account (at the CA a renewal falls back to, when that is what is
    /// missing): register or import one.
    RegisterAccount,
    /// The sealed credentials of ACME account `account` are lost: delete the account's record
    /// and import (or register) it again.
    ReplaceAccount { account: String },
    /// Name the deploy mapping request `request` deploys through (or none).
    ChooseMapping { request: String },
    /// Set `field` of deploy mapping `mapping` (its fields, when none is named).
    EditMapping {
        mapping: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Enable deploy mapping `mapping`, or give the request another.
    EnableMapping { mapping: String },
    /// Test deploy mapping `mapping`; `accept`: and accept (pin) the server identity the test
    /// shows, after checking it out of band.
    TestMapping { mapping: String, accept: bool },
    /// Pair agent `agent` again: what answers at its address is not the agent paired.
    PairAgent { agent: String },
    /// Set `field` of DNS account `account` (its fields, when none is named).
    EditDnsAccount {
        account: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
    },
    /// Enable DNS account `account`, or choose another.
    EnableDnsAccount { account: String },
    /// Set the SMTP settings' `part`.
    ConfigureSmtp { part: SmtpPart },
    /// The data folder's master key is not in the keychain: bring it back, or reset the
    /// secrets (they are lost; the records stay).
    ResetSecrets,
    /// Look through the things of `listing`: the one named is not there.
    SeeList { listing: Listing },
    /// A step stored in words by an older certdesk, shown as it was.
    Worded { text: String },
}

/// Who publishes the TXT records when the administrator verifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "publisher", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Publisher {
    /// The request's DNS account.
    DnsAccount { account: String },
    /// The request's deploy mapping.
    Mapping { mapping: String },
    /// The request's DNS account, because its mapping `declined` dns-01.
    DnsAccountInstead {
        declined: Dns01Declined,
        account: String,
    },
}

/// A request's deploy mapping that does not answer dns-01, and where the `dns_command` that
/// would make it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Dns01Declined {
    pub mapping: String,
    pub source: Dns01Source,
}

/// Where a kind of deploy mapping learns whether it answers dns-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Dns01Source {
    /// The mapping's own fields (an SSH mapping's `dns_command`): known when it is saved.
    Mapping,
    /// The end server's own configuration (an agent's `dns_command`): asked at each use and by
    /// a test of the mapping, and remembered with the mapping for the faces and the renewal
    /// plan.
    Server,
}

/// Which part of the SMTP settings a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SmtpPart {
    /// The server (host, port, security, sender).
    Server,
    /// The password of the SMTP user.
    Password,
}

/// What a validation publishes that may stay behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Leftover {
    /// dns-01 TXT records.
    TxtRecords,
    /// http-01 tokens on the end server.
    Http01Tokens,
}

impl NextStep {
    /// Publishing the TXT records of dns-01 request `request` by hand: its mapping does not
    /// (`declined` says why) and it has no DNS account.
    pub fn publish_by_hand(declined: Dns01Declined, request: &str) -> Self {
        Self::Publish {
            request: request.to_owned(),
            challenge: ChallengeType::Dns01,
            declined: Some(declined),
        }
    }

    /// This step, then removing `leftover` that `cause` left behind.
    pub fn with_leftover(step: Option<Self>, leftover: Leftover, cause: String) -> Self {
        Self::RemoveLeftovers {
            leftover,
            cause,
            then: step.map(Box::new),
        }
    }
}

/// Reads a stored step: the tagged form, or the words an older certdesk stored instead (as
/// [`NextStep::Worded`]), so that no data folder fails to open over it.
pub fn stored<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NextStep>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Step(NextStep),
        Words(String),
    }
    Ok(Option::<Stored>::deserialize(d)?.map(|s| match s {
        Stored::Step(step) => step,
        Stored::Words(text) => NextStep::Worded { text },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        #[serde(default, deserialize_with = "stored")]
        next_step: Option<NextStep>,
    }

    fn read(json: &str) -> Option<NextStep> {
        serde_json::from_str::<Holder>(json)
            .expect("reads")
            .next_step
    }

    #[test]
    fn the_tagged_form_is_stable() {
        let step = NextStep::Verify {
            request: "r1".into(),
            by: Publisher::DnsAccountInstead {
                declined: Dns01Declined {
                    mapping: "web".into(),
                    source: Dns01Source::Server,
                },
                account: "cf".into(),
            },
        };
        let json = serde_json::to_value(&step).expect("serialises");
        assert_eq!(
            json,
            serde_json::json!({
                "step": "verify",
                "request": "r1",
                "by": {
                    "publisher": "dns_account_instead",
                    "declined": {"mapping": "web", "source": "server"},
                    "account": "cf",
                },
            })
        );
        let published = serde_json::to_value(NextStep::Publish {
            request: "r1".into(),
            challenge: ChallengeType::Http01,
            declined: None,
        })
        .expect("serialises");
        assert_eq!(
            published,
            serde_json::json!({"step": "publish", "request": "r1", "challenge": "http-01"})
        );
    }

    #[test]
    fn a_stored_step_reads_back_whole() {
        let step = NextStep::with_leftover(
            Some(NextStep::NewChallenge {
                request: "r1".into(),
                cause: Some("timed out".into()),
            }),
            Leftover::TxtRecords,
            "refused".into(),
        );
        let json = serde_json::json!({ "next_step": step }).to_string();
        assert_eq!(read(&json), Some(step));
    }

    #[test]
    fn an_older_stored_sentence_reads_as_words() {
        assert_eq!(
            read(r#"{"next_step": "run `certdesk request verify r1`"}"#),
            Some(NextStep::Worded {
                text: "run `certdesk request verify r1`".into()
            })
        );
        assert_eq!(read("{}"), None);
        assert_eq!(read(r#"{"next_step": null}"#), None);
    }
}
