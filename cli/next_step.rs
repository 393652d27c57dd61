//! The engine's next steps in the CLI's words: each as the command that does it. Text and
//! `--json` output give the same sentence, so the JSON `next_step` is a string, not the
//! engine's tagged value.

use certdesk_engine::names::ChallengeType;
use certdesk_engine::next_step::{
    Dns01Declined, Dns01Source, Leftover, Listing, NextStep, Publisher, SmtpPart,
};
use certdesk_engine::Error;
use serde_json::Value;

/// `step` as the CLI says it: what to do, with the command to run.
pub fn words(step: &NextStep) -> String {
    match step {
        NextStep::Publish {
            request,
            challenge,
            declined,
        } => {
            let what = match challenge {
                ChallengeType::Http01 => "publish each token at its URL",
                ChallengeType::Dns01 | ChallengeType::DnsAccount01 => "publish each TXT record",
                ChallengeType::DnsPersist01 => {
                    "publish the standing dns-persist-01 record of each name (`certdesk dns \
                     persist-record --domain NAME`, with --write DNS_ACCOUNT to write it)"
                }
                ChallengeType::TlsAlpn01 => {
                    "make port 443 of each name answer the acme-tls/1 protocol with its validation \
                     certificate (the built-in responder does: add --tls-alpn-listen \
                     0.0.0.0:443 to the verify command)"
                }
            };
            let why = match declined {
                Some(declined) => format!(
                    "{} and the request has no DNS account: ",
                    declined_words(declined)
                ),
                None => String::new(),
            };
            format!("{why}{what}, then run `certdesk request verify {request}`")
        }
        NextStep::Verify { request, by } => {
            let by = match by {
                Publisher::DnsAccount { .. } => "the DNS account publishes the TXT records".into(),
                Publisher::Mapping { mapping } => {
                    format!("mapping {mapping:?} publishes the TXT records")
                }
                Publisher::DnsAccountInstead { declined, account } => format!(
                    "{}, so DNS account {account:?} publishes the TXT records",
                    declined_words(declined)
                ),
            };
            format!("run `certdesk request verify {request}`: {by}")
        }
        NextStep::Resume { request, cause } => format!(
            "the last step was cut off ({cause}); run `certdesk request verify {request}` to \
             continue"
        ),
        NextStep::Save { request } => {
            format!("save it to the repository: `certdesk cert save {request}`")
        }
        NextStep::NewChallenge { request, cause } => {
            let cause = cause.as_ref().map(|c| format!("{c}; ")).unwrap_or_default();
            format!(
                "{cause}fix the cause, then start a fresh order: `certdesk request new-challenge \
                 {request}`"
            )
        }
        NextStep::Renew { cert } => format!("renew it with `certdesk cert renew {cert}`"),
        NextStep::Deploy { mapping, cert } => format!(
            "deploy it once the cause is fixed: `certdesk deploy run {mapping} --cert {cert}`"
        ),
        NextStep::RemoveLeftovers {
            leftover,
            cause,
            then,
        } => {
            let note = match leftover {
                Leftover::TxtRecords => {
                    format!("the TXT records are still published: {cause}; remove them by hand")
                }
                Leftover::Http01Tokens => {
                    format!("the http-01 tokens are still on the end server: {cause}; remove them")
                }
            };
            match then {
                Some(step) => format!("{} (and {note})", words(step)),
                None => note,
            }
        }
        NextStep::RegisterAccount => "register one first (certdesk account register --name NAME \
             --directory URL, or certdesk account import); `certdesk account show` lists the \
             accounts"
            .into(),
        NextStep::ReplaceAccount { account } => {
            format!("certdesk account delete {account}, then certdesk account import or register")
        }
        NextStep::ChooseMapping { request } => format!(
            "name its deploy mapping first: `certdesk request set-deploy {request} MAPPING` (or \
             --none)"
        ),
        NextStep::EditMapping { mapping, field } => {
            let what = field.as_deref().unwrap_or("the fields");
            format!("set {what}: `certdesk deploy edit {mapping} --config FILE`")
        }
        NextStep::EnableMapping { mapping } => format!(
            "enable it (certdesk deploy enable {mapping}) or give the request another mapping \
             (certdesk request set-deploy ID MAPPING)"
        ),
        NextStep::TestMapping { mapping, accept } => match accept {
            true => format!(
                "after checking the identity out of band, pin it with `certdesk deploy test \
                 {mapping} --accept-host-key`"
            ),
            false => format!("test it: `certdesk deploy test {mapping}`"),
        },
        NextStep::PairAgent { agent } => format!(
            "if the agent was reinstalled, pair it again (certdesk agent remove {agent}, then \
             certdesk agent pair); otherwise something else answers at that address"
        ),
        NextStep::EditDnsAccount { account, field } => {
            let what = field.as_deref().unwrap_or("the fields");
            format!("set {what}: `certdesk dns edit {account} --config FILE`")
        }
        NextStep::EnableDnsAccount { account } => format!(
            "enable it (certdesk dns enable {account}) or assign another (certdesk request \
             assign-dns ID ACCOUNT)"
        ),
        NextStep::ConfigureSmtp { part } => match part {
            SmtpPart::Server => "set one: `certdesk settings set smtp.host HOST` (and smtp.port, \
                 smtp.security, smtp.from, smtp.to)"
                .into(),
            SmtpPart::Password => {
                "set its password: `certdesk settings set smtp.password-file FILE`".into()
            }
        },
        NextStep::ResetSecrets => "put the master key back into the keychain and run certdesk \
             again; or, to go on without the stored secrets, run `certdesk store reset-secrets \
             --yes`"
            .into(),
        NextStep::SeeList { listing } => match listing {
            Listing::Accounts => "see `certdesk account show` for the accounts there are".into(),
            Listing::Requests => "see `certdesk request list`".into(),
            Listing::Certificates => {
                "see `certdesk cert list`; a request's certificate is listed once it is saved"
                    .into()
            }
            Listing::DnsAccounts => "see `certdesk dns list`".into(),
            Listing::Deployments => "see `certdesk deploy list`".into(),
            Listing::NoticeChannels => "see `certdesk notify list`".into(),
        },
        NextStep::Worded { text } => text.clone(),
    }
}

/// An error as the CLI prints it: the engine's message, then its next step in [`words`].
pub fn error_message(e: &Error) -> String {
    match e.next_step() {
        Some(step) => format!("{e}: {}", words(&step)),
        None => e.to_string(),
    }
}

/// Why mapping `declined.mapping` does not answer dns-01, and the fix.
fn declined_words(declined: &Dns01Declined) -> String {
    let name = &declined.mapping;
    let fix = match declined.source {
        Dns01Source::Mapping => {
            format!("set its dns_command: certdesk deploy edit {name} --config FILE")
        }
        Dns01Source::Server => "set dns_command in the agent's configuration and restart it".into(),
    };
    format!("mapping {name:?} does not answer dns-01 ({fix})")
}

/// `value` with every `next_step` object that is a [`NextStep`] replaced by its [`words`], at
/// any depth: what `--json` prints holds requests alone, in lists and inside renewal outcomes.
/// Everything else stays as it was, in its order (serde_json keeps the fields' order here).
pub fn word_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                let step = match key == "next_step" {
                    true => serde_json::from_value::<NextStep>(field.clone()).ok(),
                    false => None,
                };
                match step {
                    Some(step) => *field = Value::from(words(&step)),
                    None => word_json(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(word_json),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verify_by(by: Publisher) -> String {
        words(&NextStep::Verify {
            request: "r1".into(),
            by,
        })
    }

    #[test]
    fn publishing_by_hand_names_verify() {
        let publish = |challenge, declined| {
            words(&NextStep::Publish {
                request: "r1".into(),
                challenge,
                declined,
            })
        };
        assert_eq!(
            publish(ChallengeType::Http01, None),
            "publish each token at its URL, then run `certdesk request verify r1`"
        );
        assert_eq!(
            publish(ChallengeType::Dns01, None),
            "publish each TXT record, then run `certdesk request verify r1`"
        );
        let declined = Dns01Declined {
            mapping: "web".into(),
            source: Dns01Source::Mapping,
        };
        assert_eq!(
            publish(ChallengeType::Dns01, Some(declined)),
            "mapping \"web\" does not answer dns-01 (set its dns_command: certdesk deploy edit \
             web --config FILE) and the request has no DNS account: publish each TXT record, \
             then run `certdesk request verify r1`"
        );
    }

    #[test]
    fn verify_says_who_publishes() {
        assert_eq!(
            verify_by(Publisher::DnsAccount {
                account: "cf".into()
            }),
            "run `certdesk request verify r1`: the DNS account publishes the TXT records"
        );
        assert_eq!(
            verify_by(Publisher::Mapping {
                mapping: "web".into()
            }),
            "run `certdesk request verify r1`: mapping \"web\" publishes the TXT records"
        );
        assert_eq!(
            verify_by(Publisher::DnsAccountInstead {
                declined: Dns01Declined {
                    mapping: "win".into(),
                    source: Dns01Source::Server,
                },
                account: "cf".into(),
            }),
            "run `certdesk request verify r1`: mapping \"win\" does not answer dns-01 (set \
             dns_command in the agent's configuration and restart it), so DNS account \"cf\" \
             publishes the TXT records"
        );
    }

    #[test]
    fn the_other_steps_name_their_command() {
        let cases = [
            (
                NextStep::Resume {
                    request: "r1".into(),
                    cause: "timed out".into(),
                },
                "the last step was cut off (timed out); run `certdesk request verify r1` to \
                 continue",
            ),
            (
                NextStep::Save {
                    request: "r1".into(),
                },
                "save it to the repository: `certdesk cert save r1`",
            ),
            (
                NextStep::NewChallenge {
                    request: "r1".into(),
                    cause: None,
                },
                "fix the cause, then start a fresh order: `certdesk request new-challenge r1`",
            ),
            (
                NextStep::NewChallenge {
                    request: "r1".into(),
                    cause: Some("no route".into()),
                },
                "no route; fix the cause, then start a fresh order: `certdesk request \
                 new-challenge r1`",
            ),
            (
                NextStep::Renew { cert: "r1".into() },
                "renew it with `certdesk cert renew r1`",
            ),
            (
                NextStep::Deploy {
                    mapping: "web".into(),
                    cert: "r1".into(),
                },
                "deploy it once the cause is fixed: `certdesk deploy run web --cert r1`",
            ),
            (
                NextStep::Worded {
                    text: "as it was stored".into(),
                },
                "as it was stored",
            ),
        ];
        for (step, said) in cases {
            assert_eq!(words(&step), said);
        }
    }

    #[test]
    fn a_missing_thing_points_to_its_listing() {
        let missing = |listing| Error::NotFound {
            what: "request",
            id: "r9".into(),
            listing,
        };
        assert_eq!(
            error_message(&missing(Listing::Requests)),
            "no request named \"r9\": see `certdesk request list`"
        );
        assert_eq!(
            error_message(&missing(Listing::Certificates)),
            "no request named \"r9\": see `certdesk cert list`; a request's certificate is \
             listed once it is saved"
        );
        assert_eq!(
            error_message(&Error::input("bad")),
            "bad",
            "an error without a step is its message"
        );
    }

    #[test]
    fn json_holds_the_words_wherever_a_request_is() {
        let step = NextStep::Save {
            request: "r1".into(),
        };
        let report = serde_json::json!({
            "outcomes": [{"id": "r1", "request": {"id": "r1", "next_step": step, "z": 1}}],
            "text": "\"next_step\": {\"step\": \"save\"}",
            "other": {"next_step": "already words"},
        });
        let said = "save it to the repository: `certdesk cert save r1`";
        let mut worded = report.clone();
        word_json(&mut worded);
        assert_eq!(worded["outcomes"][0]["request"]["next_step"], said);
        assert_eq!(worded["outcomes"][0]["request"]["z"], 1);
        assert_eq!(worded["text"], report["text"], "a string is left alone");
        assert_eq!(worded["other"], report["other"]);
        let keys: Vec<&String> = worded["outcomes"][0]["request"]
            .as_object()
            .expect("an object")
            .keys()
            .collect();
        assert_eq!(
            keys,
            ["id", "next_step", "z"],
            "the fields keep their order"
        );
    }

    #[test]
    fn leftovers_follow_the_step() {
        let save = NextStep::Save {
            request: "r1".into(),
        };
        assert_eq!(
            words(&NextStep::with_leftover(
                Some(save),
                Leftover::Http01Tokens,
                "refused".into()
            )),
            "save it to the repository: `certdesk cert save r1` (and the http-01 tokens are \
             still on the end server: refused; remove them)"
        );
        assert_eq!(
            words(&NextStep::with_leftover(
                None,
                Leftover::TxtRecords,
                "refused".into()
            )),
            "the TXT records are still published: refused; remove them by hand"
        );
    }
}
