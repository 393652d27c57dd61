//! Orders: placing them, answering and polling their challenges, finalising with our own CSR and
//! downloading the chain. Each step is written to the request's record before the next network
//! call, so `verify` can always continue from the order's state at the CA.

use std::time::{Duration, Instant};

use instant_acme::{
    AuthorizationStatus, ChallengeType as AcmeChallengeType, Identifier, NewOrder, OrderStatus,
};
use time::OffsetDateTime;

use crate::acme::{self, checks, Challenge, OrderChallenge};
use crate::deploy::automation::{publishes_tokens, TxtPublisher};
use crate::dns::lookup::Lookup;
use crate::dns::{DnsProvider, Propagation, Publication};
use crate::error::{Error, ErrorKind, Problem, Result, Subproblem};
use crate::keys::PrivateKey;
use crate::names::{CaScope, ChallengeType, Name};
use crate::next_step::{Dns01Declined, Leftover, NextStep, Publisher};
use crate::progress::Stage;
use crate::request::{KeyPolicy, RequestInfo, RequestRecord, RequestSpec, RequestStatus};
use crate::responders::Responders;
use crate::store::Change;
use crate::Engine;

/// How long the CA may take to validate the authorizations, to make the order ready once they
/// are valid, and to issue after finalisation. Each wait is polled by [`Polls`].
const AUTHZ_TIMEOUT: Duration = Duration::from_secs(180);
const ORDER_TIMEOUT: Duration = Duration::from_secs(60);
const CERT_TIMEOUT: Duration = Duration::from_secs(120);

/// The first pause of a poll: a local CA (Pebble) validates and issues in milliseconds.
const FIRST_POLL: Duration = Duration::from_millis(5);
/// The longest pause between polls: Let's Encrypt validates from several places and takes
/// seconds, and polling it faster than this only spends its rate limits.
const LONGEST_POLL: Duration = Duration::from_secs(5);

/// The schedule of one wait: [`FIRST_POLL`], then twice as long each time up to
/// [`LONGEST_POLL`] (5, 10, 20 ms … 2.56 s, then 5 s: 10 polls in the first 5.1 s, 20 in the
/// first minute), or the CA's `Retry-After` whenever it gives one, until the wait's timeout.
struct Polls {
    next: Duration,
    deadline: Instant,
    context: &'static str,
}

impl Polls {
    fn new(timeout: Duration, context: &'static str) -> Self {
        Self {
            next: FIRST_POLL,
            deadline: Instant::now() + timeout,
            context,
        }
    }

    /// Pauses before the next poll ([`Polls::next_pause`]).
    async fn pause(&mut self, asked: Option<Duration>) -> Result<()> {
        tokio::time::sleep(self.next_pause(asked, Instant::now())?).await;
        Ok(())
    }

    /// The pause before the next poll, at `now`: `asked` (the CA's Retry-After) when given, else
    /// the schedule's next one. A pause that would end past the deadline is a timeout instead.
    fn next_pause(&mut self, asked: Option<Duration>, now: Instant) -> Result<Duration> {
        let pause = asked.unwrap_or(self.next);
        if now + pause > self.deadline {
            return Err(acme::error(
                self.context,
                instant_acme::Error::Timeout(None),
            ));
        }
        self.next = (self.next * 2).min(LONGEST_POLL);
        Ok(pause)
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

impl Engine {
    /// Records a new request and places its order; the result lists the challenges to publish.
    pub async fn create_request(&self, spec: RequestSpec) -> Result<RequestInfo> {
        let subject = crate::activity::Subject {
            account: spec.account.clone(),
            names: spec.names.clone(),
            ..Default::default()
        };
        let result: Result<RequestInfo> = async {
            let scope = self.name_scope(spec.account.as_deref());
            let valid = spec.validate(scope)?;
            let names_notice = match scope {
                CaScope::Private => crate::names::private_notice(&valid.names),
                CaScope::Public => None,
            };
            if let Some(dns) = &spec.dns_account {
                self.dns_config(dns)?;
            }
            let account = self.account_record(spec.account.as_deref())?;
            account.ensure_active()?;
            let fallback_account = match &spec.fallback_account {
                Some(key) => Some(self.fallback_for(&account.info.name, key)?),
                None => None,
            };
            // CAA that would stop the fallback refuses now, not at the outage it is kept for; the
            // account that orders is checked before each order (place_order).
            if let Some(fallback) = &fallback_account {
                let names: Vec<String> =
                    valid.names.iter().map(|n| n.as_str().to_owned()).collect();
                let record = self.account_record(Some(fallback))?;
                let dns = spec.dns_account.as_deref();
                self.check_caa(&names, spec.challenge, &record, dns, "the fallback account")
                    .await?;
            }
            let id = crate::ids::random_hex(6);
            let record = RequestRecord {
                info: RequestInfo {
                    id: id.clone(),
                    names: valid.names,
                    names_notice,
                    persist_warning: None,
                    account: account.info.name.clone(),
                    fallback_account,
                    order_account: None,
                    key: spec.key,
                    signature: valid.signature,
                    keystore: spec.keystore,
                    key_policy: spec.key_policy,
                    challenge_type: spec.challenge,
                    dns_account: spec.dns_account,
                    profile: spec.profile,
                    preferred_chain: spec.preferred_chain,
                    deploy: None,
                    auto_deploy: false,
                    status: RequestStatus::Created,
                    replaces: None,
                    order_url: None,
                    challenges: Vec::new(),
                    problem: None,
                    next_step: None,
                    created: now(),
                    updated: now(),
                },
                keystore_password: spec.keystore_password.as_deref().map(|p| {
                    self.requests
                        .seal(&id, RequestRecord::KEYSTORE_PASSWORD, p.as_bytes())
                }),
                imported_key: valid.imported_key.map(|k| {
                    self.requests
                        .seal(&id, RequestRecord::IMPORTED_KEY, k.pkcs8_der())
                }),
                order_key: None,
                issued_pem: None,
            };
            self.requests.save(&record).await?;
            self.place_order(record)
                .await
                .map_err(|e| recorded_but(&id, e))
        }
        .await;
        self.noted(crate::activity::Action::CreateRequest, subject, result)
            .await
    }

    /// Which rule the names of a request with `account` follow: a public CA's, or a private
    /// one's ([`crate::choices::name_scope`] of the account's directory). A missing account's is
    /// a public CA's (its absence is said where the request needs it).
    pub fn name_scope(&self, account: Option<&str>) -> CaScope {
        self.account_record(account)
            .map_or(CaScope::Public, |a| crate::choices::name_scope(&a.info.ca))
    }

    pub fn requests(&self) -> Result<Vec<RequestInfo>> {
        let mut all: Vec<_> = self
            .requests
            .scan()?
            .records
            .into_iter()
            .map(|r| r.info)
            .collect();
        all.sort_by_key(|r| r.created);
        Ok(all)
    }

    pub fn request(&self, id: &str) -> Result<RequestInfo> {
        self.request_record(id).map(|r| r.info)
    }

    pub(crate) fn request_record(&self, id: &str) -> Result<RequestRecord> {
        self.requests.record(id)
    }

    /// Requests whose work was cut off (a crash or kill) and what to do about each.
    pub fn interrupted(&self) -> Result<Vec<RequestInfo>> {
        Ok(self
            .requests()?
            .into_iter()
            .filter(|r| matches!(r.status, RequestStatus::Created | RequestStatus::Verifying))
            .collect())
    }

    /// Starts over with a fresh order for a failed or stale request: same names and settings.
    pub async fn new_challenge(&self, id: &str) -> Result<RequestInfo> {
        let subject = crate::activity::Subject::request(id);
        let result: Result<RequestInfo> = async {
            let mut record = self.request_record(id)?;
            if matches!(record.info.status, RequestStatus::Available) {
                return Err(Error::blocked(
                    format!(
                    "request {id} has a certificate waiting to be saved: save it before starting \
                     a new order"
                ),
                    NextStep::Save {
                        request: id.to_owned(),
                    },
                ));
            }
            if matches!(
                record.info.status,
                RequestStatus::Saved | RequestStatus::Renewed | RequestStatus::Revoked
            ) {
                return Err(Error::blocked(
                    format!("request {id} has a saved certificate: renew it instead"),
                    NextStep::Renew {
                        cert: id.to_owned(),
                    },
                ));
            }
            reset_order(&mut record);
            self.requests.save(&record).await?;
            self.place_order(record).await
        }
        .await;
        self.noted(crate::activity::Action::NewChallenge, subject, result)
            .await
    }

    /// Places a new order for a saved certificate's request, same settings; the key follows the
    /// request's key policy when the order is finalised.
    pub async fn renew(&self, id: &str, responder: Responders) -> Result<RequestInfo> {
        let subject = crate::activity::Subject::request(id);
        let result = async {
            if let Some(cert) = self.repository.find(id)? {
                cert.issued_here("renew")?;
            }
            self.renew_replacing(id, responder, None, None).await
        }
        .await;
        self.noted(crate::activity::Action::Renew, subject, result)
            .await
    }

    /// [`Engine::renew`] for the scheduler: the order placed with `account` (the request's
    /// fallback; `None`: its own), telling the CA which certificate it replaces (`replaces`, the
    /// RFC 9773 identifier, at a CA with ARI).
    pub(crate) async fn renew_replacing(
        &self,
        id: &str,
        responder: Responders,
        replaces: Option<String>,
        account: Option<String>,
    ) -> Result<RequestInfo> {
        let mut record = self.request_record(id)?;
        if !self.repository.has(id)? {
            return Err(Error::input(format!(
                "request {id} has no saved certificate to renew: verify and save it first"
            )));
        }
        reset_order(&mut record);
        record.info.replaces = replaces;
        record.info.order_account = account;
        self.requests.save(&record).await?;
        // Places the order, and carries it through when its challenges are answered without
        // the administrator; logged as the renewal it is part of, not as a verification.
        self.verify_for(id, responder, Caller::Administrator).await
    }

    /// Places the order and records its challenges. A refusal by the CA fails the request; a
    /// network or local failure leaves it `Created`, to be placed again by `verify`.
    async fn place_order(&self, mut record: RequestRecord) -> Result<RequestInfo> {
        self.progress.report(&record.info.id, Stage::PlacingOrder);
        if let Err(e) = self.check_order_caa(&record.info).await {
            return match e {
                Error::Input(_) => self.fail(record, e).await,
                e => self.cut_off(record, e).await,
            };
        }
        let opened = acme::retry_bad_nonce(|| self.open_order(&record.info)).await;
        let (order_url, challenges) = match opened {
            Ok(opened) => opened,
            Err(
                e @ (Error::Ca(_)
                | Error::CaData(_)
                | Error::Input(_)
                | Error::Blocked {
                    kind: ErrorKind::Input,
                    ..
                }),
            ) => return self.fail(record, e).await,
            Err(e) => return self.cut_off(record, e).await,
        };
        record.info.order_url = Some(order_url);
        record.info.challenges = challenges;
        record.info.status = RequestStatus::Pending;
        record.info.next_step = Some(NextStep::Publish {
            request: record.info.id.clone(),
            challenge: record.info.challenge_type,
            declined: None,
        });
        record.info.updated = now();
        self.requests.save(&record).await?;
        Ok(record.info)
    }

    /// A new order at the CA for `info`'s names, and the challenges the administrator publishes.
    async fn open_order(&self, info: &RequestInfo) -> Result<(String, Vec<OrderChallenge>)> {
        let account_record = self.account_record(Some(info.ordering_account()))?;
        let account = self.acme_account(&account_record).await?;
        let identifiers: Vec<Identifier> = info
            .names
            .iter()
            .map(|n| match n {
                Name::Dns(dns) => Identifier::Dns(dns.as_str().to_owned()),
                Name::Ip(ip) => Identifier::Ip(ip.addr()),
            })
            .collect();
        let mut new_order = NewOrder::new(&identifiers);
        let names: Vec<&str> = info.names.iter().map(|n| n.as_str()).collect();
        acme::profiles::check(&account_record.info.ca, info.profile.as_deref(), &names)?;
        if let Some(profile) = &info.profile {
            if !account.profiles().any(|p| p.name == profile) {
                // Sorted: the CA's profiles come as a map, whose order would change between runs.
                let mut offered: Vec<String> = account
                    .profiles()
                    .map(|p| format!("{} ({})", p.name, p.description))
                    .collect();
                offered.sort();
                return Err(Error::input(if offered.is_empty() {
                    format!("this CA offers no certificate profiles; leave out --profile {profile}")
                } else {
                    format!(
                        "this CA offers no profile {profile:?}; it offers: {}",
                        offered.join(", ")
                    )
                }));
            }
            new_order = new_order.profile(profile);
        }
        if let Some(replaces) = &info.replaces {
            new_order = new_order.replaces(crate::acme::ari::identifier(replaces)?);
        }
        let mut order = account
            .new_order(&new_order)
            .await
            .map_err(|e| acme::error("placing the order", e))?;
        https_urls(&mut order)?;
        let wanted = acme_type(info.challenge_type);
        let standing = match info.challenge_type {
            ChallengeType::DnsPersist01 => {
                Some(self.persist_binding(Some(info.ordering_account())).await?)
            }
            _ => None,
        };
        let mut challenges = Vec::new();
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.map_err(|e| acme::error("reading the authorizations", e))?;
            let status = status_word(&authz.status);
            // From here on the name is the request's own, not the CA's text.
            let name = checks::requested_name(&info.names, &authz.identifier())
                .map_err(|r| Error::CaData(r.to_string()))?;
            let Some(challenge) = authz.challenge(wanted.clone()) else {
                return Err(Error::input(format!(
                    "the CA offers no {} challenge for {name}: choose the other challenge type",
                    info.challenge_type
                )));
            };
            let what = format!("the {} challenge for {name}", info.challenge_type);
            checks::https_url(&what, &challenge.url).map_err(|r| Error::CaData(r.to_string()))?;
            // dns-persist-01 has no token: its record names the account, not the order.
            if let Some(binding) = &standing {
                challenges.push(OrderChallenge {
                    challenge: binding.challenge(name.as_str())?,
                    status: status.to_owned(),
                });
                continue;
            }
            checks::check_token(&challenge.token).map_err(|r| {
                Error::CaData(format!("the {} token for {name}: {r}", info.challenge_type))
            })?;
            let key_authorization = challenge.key_authorization();
            let published = match info.challenge_type {
                ChallengeType::Dns01
                | ChallengeType::DnsAccount01
                | ChallengeType::DnsPersist01 => Challenge::Dns01 {
                    record_name: match info.challenge_type {
                        ChallengeType::DnsAccount01 => {
                            certdesk_base::acme::dns_account::record_name(account.id(), name.base())
                        }
                        _ => format!("_acme-challenge.{}", name.base()),
                    },
                    record_value: checks::txt_value(key_authorization.as_str()),
                    key_authorization: key_authorization.as_str().to_owned(),
                    domain: name.to_string(),
                },
                ChallengeType::Http01 => Challenge::Http01 {
                    url: format!(
                        "http://{name}/.well-known/acme-challenge/{}",
                        challenge.token
                    ),
                    token: challenge.token.clone(),
                    key_authorization: key_authorization.as_str().to_owned(),
                    domain: name.to_string(),
                },
                ChallengeType::TlsAlpn01 => Challenge::TlsAlpn01 {
                    key_authorization: key_authorization.as_str().to_owned(),
                    domain: name.to_string(),
                },
            };
            challenges.push(OrderChallenge {
                challenge: published,
                status: status.to_owned(),
            });
        }
        Ok((order.url().to_owned(), challenges))
    }

    /// Raises a request and carries it through, answering http-01 with the built-in responder
    /// and dns-01 through the request's DNS account, saving the certificate when `save` is set:
    /// the one-shot path of scripts and benchmarks.
    pub async fn issue(
        &self,
        spec: RequestSpec,
        responder: Responders,
        save: bool,
    ) -> Result<RequestInfo> {
        let answered = responder.answers(spec.challenge);
        match (spec.challenge, answered, &spec.dns_account) {
            (ChallengeType::Http01 | ChallengeType::TlsAlpn01, true, _)
            | (ChallengeType::Dns01 | ChallengeType::DnsAccount01, _, Some(_))
            | (ChallengeType::DnsPersist01, _, _) => {}
            (ChallengeType::Http01, false, _) => {
                return Err(Error::input(
                    "http-01 is answered automatically by the built-in responder only: give \
                     --http-listen ADDR:PORT",
                ))
            }
            (ChallengeType::TlsAlpn01, false, _) => {
                return Err(Error::input(
                    "tls-alpn-01 is answered automatically by the built-in responder only: give \
                     --tls-alpn-listen ADDR:PORT (port 443 of each name)",
                ))
            }
            (ChallengeType::Dns01 | ChallengeType::DnsAccount01, _, None) => {
                return Err(Error::input(
                    "dns-01 and dns-account-01 are answered automatically through a DNS account only: give \
                     --dns-account NAME, or create the request, publish its records by hand and \
                     verify it",
                ))
            }
        }
        let created = self.create_request(spec).await?;
        let verified = self.verify(&created.id, responder).await?;
        if save && verified.status == RequestStatus::Available {
            let saved = match self.request_record(&created.id) {
                Ok(record) => self.save_record(record).await,
                Err(e) => Err(e),
            };
            let subject = crate::activity::Subject::request(&created.id);
            return self
                .noted(crate::activity::Action::SaveCertificate, subject, saved)
                .await;
        }
        Ok(verified)
    }

    /// [`Engine::issue`] for several requests at once; one result per spec, in order.
    pub async fn issue_many(
        &self,
        specs: Vec<RequestSpec>,
        responder: Responders,
        save: bool,
    ) -> Vec<Result<RequestInfo>> {
        let tasks = specs
            .into_iter()
            .map(|spec| self.issue(spec, responder.clone(), save));
        futures::future::join_all(tasks).await
    }

    /// Gives a dns-01 request a DNS account (or, with `None`, takes it away): its next order and
    /// every renewal publish through it.
    pub async fn assign_dns(&self, id: &str, account: Option<&str>) -> Result<RequestInfo> {
        let staged = self.staged_dns(id, account);
        let subject = crate::activity::Subject {
            target: account.map(str::to_owned),
            ..crate::activity::Subject::request(id)
        };
        self.commit_noted(crate::activity::Action::AssignDns, subject, staged.into())
            .await
    }

    /// The request `id` with its DNS account set, staged for [`Engine::assign_dns`].
    fn staged_dns(&self, id: &str, account: Option<&str>) -> Result<(Change, RequestInfo)> {
        let mut record = self.request_record(id)?;
        if let Some(name) = account {
            if !record.info.challenge_type.uses_dns() {
                return Err(Error::input(format!(
                    "request {id} uses {}: a DNS account publishes dns-01 records only",
                    record.info.challenge_type
                )));
            }
            self.dns_config(name)?;
        }
        record.info.dns_account = account.map(str::to_owned);
        record.info.updated = now();
        if let (RequestStatus::Pending, Some(account)) = (record.info.status, account) {
            record.info.next_step = Some(NextStep::Verify {
                request: id.to_owned(),
                by: Publisher::DnsAccount {
                    account: account.to_owned(),
                },
            });
        }
        Ok((self.requests.put(Change::new(), &record), record.info))
    }

    /// Verifies several requests at once; one result per id, in order.
    pub async fn verify_many(
        &self,
        ids: &[String],
        responder: Responders,
    ) -> Vec<Result<RequestInfo>> {
        let tasks = ids.iter().map(|id| self.verify(id, responder.clone()));
        futures::future::join_all(tasks).await
    }

    /// Answers the challenges and carries the order through to a downloaded certificate,
    /// continuing from wherever the order stands (also after a crash).
    pub async fn verify(&self, id: &str, responder: Responders) -> Result<RequestInfo> {
        let subject = crate::activity::Subject::request(id);
        let result: Result<RequestInfo> =
            async { self.verify_for(id, responder, Caller::Administrator).await }.await;
        self.noted(crate::activity::Action::VerifyRequest, subject, result)
            .await
    }

    /// [`Engine::verify`] on behalf of `caller`.
    pub(crate) async fn verify_for(
        &self,
        id: &str,
        responder: Responders,
        caller: Caller,
    ) -> Result<RequestInfo> {
        let mut record = self.request_record(id)?;
        let placed_now = match record.info.status {
            RequestStatus::Created => {
                self.place_order(record).await?;
                record = self.request_record(id)?;
                true
            }
            RequestStatus::Pending | RequestStatus::Verifying => false,
            RequestStatus::Failed => {
                return Err(Error::blocked(
                    format!("request {id} failed"),
                    NextStep::NewChallenge {
                        request: id.to_owned(),
                        cause: None,
                    },
                ))
            }
            RequestStatus::Available => return Ok(record.info),
            RequestStatus::Saved | RequestStatus::Renewed | RequestStatus::Revoked => {
                return Err(Error::blocked(
                    format!("request {id} is done (its certificate is saved)"),
                    NextStep::Renew {
                        cert: id.to_owned(),
                    },
                ))
            }
        };
        let txt = match record.info.challenge_type {
            ChallengeType::Dns01 | ChallengeType::DnsAccount01 => {
                match self.txt_publisher(&record.info).await {
                    Ok(publisher) => Some(publisher),
                    Err(e) => return self.cut_off(record, e).await,
                }
            }
            ChallengeType::Http01 | ChallengeType::TlsAlpn01 => None,
            // The standing record is checked, never written: nobody publishes per order.
            ChallengeType::DnsPersist01 => {
                if let Err(e) = self.check_standing(&mut record).await {
                    return match e {
                        Error::Blocked { .. } => Err(e),
                        e => self.cut_off(record, e).await,
                    };
                }
                None
            }
        };
        // A fresh order nobody publishes for waits for the administrator, and so does any order
        // the scheduler continues: only the administrator can have published by hand.
        if placed_now || caller == Caller::Scheduler {
            match &txt {
                Some(TxtPublisher::ByHand { mapping_declined }) => {
                    return self.by_hand(record, mapping_declined.as_ref()).await
                }
                None if !responder.answers(record.info.challenge_type)
                    && !publishes_tokens(&record.info)
                    && record.info.challenge_type != ChallengeType::DnsPersist01 =>
                {
                    return Ok(record.info)
                }
                _ => {}
            }
        }
        // The request's mapping answers http-01 on the end server; the responders otherwise.
        let published = responder
            .http01
            .as_ref()
            .filter(|_| !publishes_tokens(&record.info))
            .map(|r| crate::http01::publish(r, &record.info.challenges))
            .transpose();
        let published = match published {
            Ok(published) => published,
            Err(e) => return self.fail(record, e).await,
        };
        let served = responder
            .tls_alpn01
            .as_ref()
            .map(|r| crate::responders::publish_tls_alpn(r, &record.info.challenges))
            .transpose();
        let served = match served {
            Ok(served) => served,
            Err(e) => return self.fail(record, e).await,
        };
        let tokens = match self.publish_tokens(&record).await {
            Ok(tokens) => tokens,
            Err(e) => return self.cut_off(record, e).await,
        };
        let dns = match txt {
            Some(TxtPublisher::Automated {
                provider,
                propagation,
            }) => match self.publish_dns(&record, provider, propagation).await {
                Ok(dns) => dns,
                Err(e) => return self.cut_off(record, e).await,
            },
            _ => None,
        };
        let mut outcome = self.drive_order(&mut record).await;
        // drive_order continues from the order's state at the CA, so a step cut off by
        // rejected nonces is simply driven again.
        for _ in 0..acme::NONCE_STEP_RETRIES {
            match &outcome {
                Err(e) if e.is_bad_nonce() => outcome = self.drive_order(&mut record).await,
                _ => break,
            }
        }
        drop(published);
        drop(served);
        let cleanup = match dns {
            Some(publication) => {
                self.progress.report(&record.info.id, Stage::CleaningUpDns);
                publication.cleanup().await.err()
            }
            None => None,
        };
        let result = match outcome {
            Ok(()) => self.finish(record).await,
            Err(e @ (Error::Ca(_) | Error::CaData(_))) => self.fail(record, e).await,
            Err(e) => self.cut_off(record, e).await,
        };
        let result = self.withdraw_tokens(id, tokens, result).await;
        match cleanup {
            Some(e) => self.note_leftover_records(id, result, e).await,
            None => result,
        }
    }

    /// The administrator publishes this order's records: the next step says so, and why the
    /// request's mapping does not.
    async fn by_hand(
        &self,
        mut record: RequestRecord,
        mapping_declined: Option<&Dns01Declined>,
    ) -> Result<RequestInfo> {
        if let Some(declined) = mapping_declined {
            record.info.next_step =
                Some(NextStep::publish_by_hand(declined.clone(), &record.info.id));
            self.requests.save(&record).await?;
        }
        Ok(record.info)
    }

    /// Publishes the request's pending dns-01 records with `provider` (its mapping's or its DNS
    /// account's) and waits until every nameserver answers with them.
    async fn publish_dns(
        &self,
        record: &RequestRecord,
        provider: Box<dyn DnsProvider>,
        propagation: Propagation,
    ) -> Result<Option<Publication>> {
        let records: Vec<(String, String)> = record
            .info
            .challenges
            .iter()
            .filter(|c| c.status == "pending")
            .filter_map(|c| match &c.challenge {
                Challenge::Dns01 {
                    record_name,
                    record_value,
                    ..
                } => Some((record_name.clone(), record_value.clone())),
                Challenge::Http01 { .. } | Challenge::TlsAlpn01 { .. } => None,
            })
            .collect();
        if records.is_empty() {
            return Ok(None);
        }
        for (_, value) in &records {
            checks::check_txt_value(value)?;
        }
        let lookup = Lookup::new(propagation.nameservers)?;
        self.progress.report(&record.info.id, Stage::PublishingDns);
        let publication = Publication::present(provider, &lookup, &records).await?;
        self.progress.report(&record.info.id, Stage::WaitingForDns);
        if let Err(e) = publication
            .wait_propagated(&lookup, propagation.timeout)
            .await
        {
            self.progress.report(&record.info.id, Stage::CleaningUpDns);
            // The propagation failure is the news; a cleanup failure would hide it.
            let _ = publication.cleanup().await;
            return Err(e);
        }
        Ok(Some(publication))
    }

    /// The TXT records could not be removed: the request's outcome stands, and its next step
    /// tells the administrator to remove them.
    async fn note_leftover_records(
        &self,
        id: &str,
        result: Result<RequestInfo>,
        error: Error,
    ) -> Result<RequestInfo> {
        let mut record = self.request_record(id)?;
        record.info.next_step = Some(NextStep::with_leftover(
            record.info.next_step.take(),
            Leftover::TxtRecords,
            error.to_string(),
        ));
        self.requests.save(&record).await?;
        match result {
            Ok(_) => Ok(record.info),
            Err(e) => Err(e),
        }
    }

    async fn drive_order(&self, record: &mut RequestRecord) -> Result<()> {
        let order_url = record.info.order_url.clone().ok_or_else(|| {
            Error::Damaged(format!(
                "request {} is being verified but has no order: its record in the data \
                     folder is damaged; restore the data folder from a backup, or create the \
                     request again",
                record.info.id
            ))
        })?;
        record.info.status = RequestStatus::Verifying;
        record.info.next_step = None;
        record.info.updated = now();
        self.requests.save(&*record).await?;

        let account_record = self.account_record(Some(record.info.ordering_account()))?;
        let client = self.ca_client(&account_record).await?;
        let http = &client.http;
        let mut order = client
            .account
            .order(order_url)
            .await
            .map_err(|e| acme::error("reading the order", e))?;

        if order.state().status == OrderStatus::Pending {
            self.progress.report(&record.info.id, Stage::Answering);
            // The CA is told to validate nothing while any of the order's authorizations is
            // for a name the request did not ask for.
            let mut authorizations = order.authorizations();
            while let Some(authz) = authorizations.next().await {
                let authz = authz.map_err(|e| acme::error("reading authorizations", e))?;
                checks::requested_name(&record.info.names, &authz.identifier())
                    .map_err(|r| Error::CaData(r.to_string()))?;
            }
            let wanted = acme_type(record.info.challenge_type);
            let mut authorizations = order.authorizations();
            while let Some(authz) = authorizations.next().await {
                let mut authz = authz.map_err(|e| acme::error("reading authorizations", e))?;
                if authz.status != AuthorizationStatus::Pending {
                    continue;
                }
                let name = authz.identifier().to_string();
                let Some(mut ch) = authz.challenge(wanted.clone()) else {
                    continue;
                };
                if ch.status == instant_acme::ChallengeStatus::Pending {
                    ch.set_ready().await.map_err(|e| match e {
                        instant_acme::Error::Api(p) => Error::Ca(naming(acme::problem(p), name)),
                        e => acme::error("answering the challenge", e),
                    })?;
                }
            }
            self.progress.report(&record.info.id, Stage::Validating);
            wait_for_authorizations(&mut order, http).await?;
            // Every authorization is valid, so the order is ready at once at most CAs: it is read
            // before any pause. The order's own error ends the wait: the problem is read whole
            // below.
            let mut polls = Polls::new(ORDER_TIMEOUT, "waiting for validation");
            loop {
                let state = order
                    .refresh()
                    .await
                    .map_err(|e| acme::error("reading the order", e))?;
                if state.error.is_some() || state.status == OrderStatus::Invalid {
                    return Err(Error::Ca(self.order_problem(&mut order).await));
                }
                if state.status != OrderStatus::Pending {
                    break;
                }
                polls.pause(http.asked_wait(order.url())).await?;
            }
        }

        let status = order.state().status;
        if status == OrderStatus::Ready {
            self.progress.report(&record.info.id, Stage::Finalizing);
            let key = self.order_key(record).await?;
            let csr = key.csr_der(&record.info.names, record.info.signature)?;
            order
                .finalize_csr(&csr)
                .await
                .map_err(|e| acme::error("finalizing the order", e))?;
        } else if status == OrderStatus::Invalid {
            return Err(Error::Ca(self.order_problem(&mut order).await));
        }
        self.progress.report(&record.info.id, Stage::Downloading);
        // An order the CA finalised at once is downloaded at once; one still processing is read
        // again on the schedule (instant-acme's own poll pauses before its first read).
        let mut polls = Polls::new(CERT_TIMEOUT, "downloading the certificate");
        let mut chain = loop {
            match order.certificate().await {
                Ok(Some(chain)) => break chain,
                Ok(None) => polls.pause(http.asked_wait(order.url())).await?,
                Err(e) => return Err(acme::error("downloading the certificate", e)),
            }
        };
        if let Some(issuer) = &record.info.preferred_chain {
            if !acme::chains::top_issuer(&chain)?.contains(issuer.as_str()) {
                let cert_url = order.state().certificate.clone().ok_or_else(|| {
                    Error::Network("the CA gave no certificate URL for a valid order".into())
                })?;
                // Like certbot and lego: without a matching chain, keep the CA's default.
                let downloader = self.chain_downloader(&account_record).await?;
                if let Some(preferred) = downloader.chain_by_issuer(&cert_url, issuer).await? {
                    chain = preferred;
                }
            }
        }
        let key = self.order_key(record).await?;
        crate::certinfo::check_key_matches(&chain, &key)?;
        record.issued_pem = Some(chain);
        Ok(())
    }

    /// The key for the order in flight: stored with the request before finalisation, chosen by
    /// the key policy.
    async fn order_key(&self, record: &mut RequestRecord) -> Result<PrivateKey> {
        if let Some(sealed) = &record.order_key {
            let key = self
                .requests
                .open(record, RequestRecord::ORDER_KEY, sealed)?;
            return PrivateKey::from_pkcs8_der(key.to_vec());
        }
        let key = match record.info.key_policy {
            KeyPolicy::Import => {
                let sealed = record.imported_key.as_ref().ok_or_else(|| {
                    Error::Damaged(format!(
                        "request {} takes an imported key but holds none: its record in the \
                             data folder is damaged; restore the data folder from a backup, or \
                             create the request again with the key",
                        record.info.id
                    ))
                })?;
                let key = self
                    .requests
                    .open(record, RequestRecord::IMPORTED_KEY, sealed)?;
                PrivateKey::from_pkcs8_der(key.to_vec())?
            }
            KeyPolicy::Same => match self.repository.find(&record.info.id)? {
                Some(cert) => self.needed_key(&cert)?,
                None => generate(record.info.key).await?,
            },
            KeyPolicy::New => generate(record.info.key).await?,
        };
        let sealed = self
            .requests
            .seal(&record.info.id, RequestRecord::ORDER_KEY, key.pkcs8_der());
        record.order_key = Some(sealed);
        record.info.updated = now();
        self.requests.save(&*record).await?;
        Ok(key)
    }

    /// The CA's problem for an invalid order, whole, with the failures of its authorizations
    /// (see [`validation_problem`]).
    async fn order_problem(&self, order: &mut instant_acme::Order) -> Problem {
        let error = order.state().error.clone();
        let mut subproblems = Vec::new();
        let mut authorizations = order.authorizations();
        while let Some(Ok(mut authz)) = authorizations.next().await {
            if authz.refresh().await.is_err() || authz.status == AuthorizationStatus::Valid {
                continue;
            }
            subproblems.extend(failures(&authz));
        }
        validation_problem(error, subproblems)
    }

    /// The certificate is downloaded: a first issue waits to be saved; a renewal is saved as a
    /// new version at once. With automatic deployment on, it is saved and deployed.
    async fn finish(&self, mut record: RequestRecord) -> Result<RequestInfo> {
        for c in &mut record.info.challenges {
            c.status = "valid".into();
        }
        self.progress.report(&record.info.id, Stage::Issued);
        record.info.status = RequestStatus::Available;
        record.info.problem = None;
        record.info.next_step = Some(NextStep::Save {
            request: record.info.id.clone(),
        });
        record.info.updated = now();
        if record.info.auto_deploy || self.repository.has(&record.info.id)? {
            let saved = self.save_record(record).await?;
            return self.deploy_saved(saved).await;
        }
        self.requests.save(&record).await?;
        Ok(record.info)
    }

    /// A network or local failure: the order stays as it is at the CA; say how to go on.
    async fn cut_off(&self, mut record: RequestRecord, error: Error) -> Result<RequestInfo> {
        record.info.next_step = Some(NextStep::Resume {
            request: record.info.id.clone(),
            cause: error.to_string(),
        });
        record.info.updated = now();
        self.requests.save(&record).await?;
        Err(error)
    }

    async fn fail(&self, mut record: RequestRecord, error: Error) -> Result<RequestInfo> {
        self.progress.report(&record.info.id, Stage::Failed);
        record.info.status = RequestStatus::Failed;
        record.info.problem = error.problem().cloned();
        // The CA's problem speaks for itself; any other cause is kept in words.
        record.info.next_step = Some(NextStep::NewChallenge {
            request: record.info.id.clone(),
            cause: record.info.problem.is_none().then(|| error.to_string()),
        });
        record.info.updated = now();
        record.order_key = None;
        self.requests.save(&record).await?;
        Err(error)
    }
}

/// Who asks for a verify. The administrator may have published records or tokens by hand
/// before asking; the scheduler never has, so it must not ask the CA to validate them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    Administrator,
    Scheduler,
}

/// Every URL a new order gives (itself, its authorizations, its finalize URL) is https, before
/// any of them is followed.
fn https_urls(order: &mut instant_acme::Order) -> Result<()> {
    let refused = |r: checks::Refusal| Error::CaData(r.to_string());
    checks::https_url("the order", order.url()).map_err(refused)?;
    let state = order.state();
    for authz in &state.authorizations {
        checks::https_url("an authorization of the order", &authz.url).map_err(refused)?;
    }
    checks::https_url("the order's finalize URL", &state.finalize).map_err(refused)
}

/// A challenge's problem carries no identifier: add the name it is about, keeping the CA's text.
fn naming(mut problem: Problem, name: String) -> Problem {
    if problem.subproblems.is_empty() {
        problem.subproblems.push(Subproblem {
            identifier: Some(name),
            kind: problem.kind.clone(),
            detail: None,
        });
    }
    problem
}

/// Polls the order's authorizations until every one is valid (RFC 8555 §7.5.1), on the
/// [`Polls`] schedule: the CA has just been asked to validate, so the first read comes after the
/// first pause. `invalid` is final: the first one ends the wait with the CA's reasons, whatever
/// the order says (after a failed validation acme2certifier leaves the order `pending` until it
/// expires).
async fn wait_for_authorizations(
    order: &mut instant_acme::Order,
    http: &acme::AcmeHttp,
) -> Result<()> {
    let mut polls = Polls::new(AUTHZ_TIMEOUT, "waiting for validation");
    // The first pass reads the states the order already holds.
    let mut read = false;
    loop {
        let mut waiting = false;
        let mut asked = None;
        let mut failed = Vec::new();
        let mut authorizations = order.authorizations();
        while let Some(authz) = authorizations.next().await {
            let mut authz = authz.map_err(|e| acme::error("reading the authorizations", e))?;
            if read && authz.status == AuthorizationStatus::Pending {
                authz
                    .refresh()
                    .await
                    .map_err(|e| acme::error("waiting for validation", e))?;
                asked = asked.max(http.asked_wait(authz.url()));
            }
            match authz.status {
                AuthorizationStatus::Valid => {}
                AuthorizationStatus::Pending => waiting = true,
                _ => failed.extend(failures(&authz)),
            }
        }
        if !failed.is_empty() {
            // The order's own problem, when the CA put one there, is the CA's whole word.
            let error = match order.refresh().await {
                Ok(state) => state.error.clone(),
                Err(_) => None,
            };
            return Err(Error::Ca(validation_problem(error, failed)));
        }
        if !waiting {
            return Ok(());
        }
        polls.pause(asked).await?;
        read = true;
    }
}

/// Why an authorization is not valid, one subproblem per challenge error; a final status
/// without any error is said so. Nothing for one still pending.
fn failures(authz: &instant_acme::AuthorizationState) -> Vec<Subproblem> {
    let name = authz.identifier().to_string();
    let mut reasons: Vec<Subproblem> = authz
        .challenges
        .iter()
        .filter_map(|ch| ch.error.as_ref())
        .map(|e| Subproblem {
            identifier: Some(name.clone()),
            kind: e.r#type.clone(),
            detail: e.detail.clone(),
        })
        .collect();
    if reasons.is_empty() && !matches!(authz.status, AuthorizationStatus::Pending) {
        reasons.push(Subproblem {
            detail: Some(format!(
                "the CA marked {name} {} and gave no reason",
                status_word(&authz.status)
            )),
            identifier: Some(name),
            kind: None,
        });
    }
    reasons
}

/// The problem of a failed validation: the order's error when the CA gave one, with `failures`
/// as its subproblems when it has none of its own (Pebble and Boulder put the challenge's error
/// on the order without saying which name it was about).
fn validation_problem(
    order_error: Option<instant_acme::Problem>,
    failures: Vec<Subproblem>,
) -> Problem {
    match order_error.map(acme::problem) {
        Some(mut p) => {
            if p.subproblems.is_empty() {
                p.subproblems = failures;
            }
            p
        }
        None => Problem {
            kind: failures.iter().find_map(|s| s.kind.clone()),
            detail: Some("validation failed for the names below".into()),
            subproblems: failures,
            ..Problem::default()
        },
    }
}

fn reset_order(record: &mut RequestRecord) {
    record.info.status = RequestStatus::Created;
    record.info.replaces = None;
    record.info.order_account = None;
    record.info.order_url = None;
    record.info.challenges.clear();
    record.info.problem = None;
    record.info.next_step = None;
    record.order_key = None;
    record.issued_pem = None;
    record.info.updated = now();
}

/// RSA generation takes a while: keep it off the async workers.
async fn generate(alg: crate::keys::KeyAlgorithm) -> Result<PrivateKey> {
    tokio::task::spawn_blocking(move || PrivateKey::generate(alg))
        .await
        .map_err(|e| Error::System(format!("key generation did not finish: {e}")))?
}

fn status_word(status: &AuthorizationStatus) -> &'static str {
    match status {
        AuthorizationStatus::Pending => "pending",
        AuthorizationStatus::Valid => "valid",
        AuthorizationStatus::Invalid => "invalid",
        AuthorizationStatus::Revoked => "revoked",
        AuthorizationStatus::Expired => "expired",
        _ => "deactivated",
    }
}

fn acme_type(t: ChallengeType) -> AcmeChallengeType {
    match t {
        ChallengeType::Http01 => AcmeChallengeType::Http01,
        ChallengeType::Dns01 => AcmeChallengeType::Dns01,
        ChallengeType::TlsAlpn01 => AcmeChallengeType::TlsAlpn01,
        // instant-acme 0.8 names neither: they arrive as its Unknown type.
        ChallengeType::DnsAccount01 => AcmeChallengeType::Unknown("dns-account-01".into()),
        ChallengeType::DnsPersist01 => AcmeChallengeType::Unknown("dns-persist-01".into()),
    }
}

/// A request whose order could not be placed is still recorded: say under which id, and that
/// verifying it places the order.
fn recorded_but(id: &str, e: Error) -> Error {
    match e {
        Error::Network(m) => Error::Blocked {
            kind: ErrorKind::Remote,
            message: format!("request {id} is recorded, but its order could not be placed: {m}"),
            step: Box::new(NextStep::Resume {
                request: id.to_owned(),
                cause: "the order was not placed".into(),
            }),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use time::{Duration, OffsetDateTime};

    use super::*;
    use crate::keystore::KeystoreType;
    use crate::testing::{add_account, create, issue, recorded, spec};
    use crate::ErrorKind;

    #[test]
    fn polls_start_at_5_ms_double_to_5_s_follow_retry_after_and_stop_at_the_timeout() {
        use std::time::Duration;
        let ms = Duration::from_millis;
        let start = Instant::now();
        let minute = Duration::from_secs(60);
        let mut polls = Polls::new(minute, "waiting for validation");
        let (mut at, mut pauses) = (start, Vec::new());
        while let Ok(pause) = polls.next_pause(None, at) {
            pauses.push(pause);
            at += pause;
        }
        assert_eq!(pauses[..4], [ms(5), ms(10), ms(20), ms(40)]);
        assert_eq!(pauses[9], ms(2560));
        assert!(
            pauses[10..].iter().all(|p| *p == LONGEST_POLL),
            "{pauses:?}"
        );
        let waited: Duration = pauses.iter().sum();
        assert!(
            waited > minute - LONGEST_POLL && waited <= minute,
            "{waited:?}"
        );
        assert_eq!(pauses.len(), 20);

        // The CA's Retry-After replaces the schedule's pause; one past the deadline times out.
        let mut polls = Polls::new(minute, "downloading the certificate");
        let asked = Duration::from_secs(3);
        assert_eq!(polls.next_pause(Some(asked), start).unwrap(), asked);
        assert_eq!(polls.next_pause(None, start).unwrap(), ms(10));
        let late = polls.next_pause(Some(minute * 2), start).unwrap_err();
        assert!(
            late.to_string().contains("did not finish in time"),
            "{late}"
        );
    }

    fn in_days(days: i64) -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::days(days)
    }

    #[tokio::test]
    async fn a_request_is_recorded_before_its_order_and_listed_as_interrupted_when_cut_off() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let e = engine
            .create_request(spec(&["www.example.com", "example.com"]))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Remote, "{e}");
        let [request] = engine.requests().unwrap().try_into().unwrap();
        assert!(
            e.to_string().contains(&format!(
                "request {} is recorded, but its order could not be placed",
                request.id
            )),
            "{e}"
        );
        assert_eq!(
            e.next_step(),
            Some(NextStep::Resume {
                request: request.id.clone(),
                cause: "the order was not placed".into()
            })
        );
        assert_eq!(request.status, RequestStatus::Created);
        assert_eq!(request.account, "le");
        let names: Vec<&str> = request.names.iter().map(|n| n.as_str()).collect();
        assert_eq!(names, ["www.example.com", "example.com"]);
        assert!(request.order_url.is_none() && request.challenges.is_empty());
        assert!(request.next_step.is_some(), "the record says how to go on");
        let interrupted: Vec<String> = engine
            .interrupted()
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(interrupted, [request.id]);
    }

    #[tokio::test]
    async fn a_refused_spec_records_nothing() {
        let engine = Engine::in_memory().await;
        let e = engine
            .create_request(spec(&["www.example.com"]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("no ACME account yet"), "{e}");
        add_account(&engine, "le").await;
        let e = engine
            .create_request(spec(&["not a name"]))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Input, "{e}");
        let e = engine
            .create_request(RequestSpec {
                account: Some("nobody".into()),
                ..spec(&["www.example.com"])
            })
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotFound {
                    what: "account",
                    ..
                }
            ),
            "{e}"
        );
        assert!(engine.requests().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_deactivated_account_places_no_request() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let mut account = engine.account_record(Some("le")).unwrap();
        account.info.status = crate::account::AccountStatus::Deactivated;
        engine.accounts.save(&account).await.unwrap();
        let e = engine
            .create_request(spec(&["www.example.com"]))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("was deactivated"), "{e}");
        assert!(engine.requests().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_keystore_password_is_kept_sealed_at_its_place() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let request = create(
            &engine,
            RequestSpec {
                keystore: KeystoreType::Pkcs12,
                keystore_password: Some("correct horse battery".into()),
                ..spec(&["www.example.com"])
            },
        )
        .await;
        let record = engine.request_record(&request.id).unwrap();
        let sealed = record.keystore_password.as_ref().unwrap();
        assert_eq!(
            engine
                .requests
                .keystore_password(&record)
                .unwrap()
                .unwrap()
                .as_str(),
            "correct horse battery"
        );
        assert!(
            engine
                .requests
                .open(&record, RequestRecord::IMPORTED_KEY, sealed)
                .is_err(),
            "sealed for its own field only"
        );
    }

    #[tokio::test]
    async fn issue_without_a_way_to_answer_is_refused_before_anything_is_recorded() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let e = engine
            .issue(spec(&["www.example.com"]), Responders::default(), true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("--http-listen"), "{e}");
        let dns01 = RequestSpec {
            challenge: ChallengeType::Dns01,
            ..spec(&["www.example.com"])
        };
        let e = engine
            .issue(dns01, Responders::default(), true)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("--dns-account"), "{e}");
        assert!(engine.requests().unwrap().is_empty());
    }

    #[tokio::test]
    async fn verify_goes_on_only_from_where_a_request_can() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, &["www.example.com"]).await.id;

        let mut record = engine.request_record(&id).unwrap();
        record.info.status = RequestStatus::Failed;
        engine.requests.save(&record).await.unwrap();
        let e = engine.verify(&id, Responders::default()).await.unwrap_err();
        assert_eq!(
            e.next_step(),
            Some(NextStep::NewChallenge {
                request: id.clone(),
                cause: None
            }),
            "{e}"
        );

        issue(&engine, &id, in_days(90)).await;
        let available = engine.verify(&id, Responders::default()).await.unwrap();
        assert_eq!(
            available.status,
            RequestStatus::Available,
            "a downloaded certificate is simply there"
        );

        engine.save(&id).await.unwrap();
        let e = engine.verify(&id, Responders::default()).await.unwrap_err();
        assert!(e.to_string().contains("is done"), "{e}");
        assert_eq!(e.next_step(), Some(NextStep::Renew { cert: id.clone() }));
        let e = engine
            .verify("0000", Responders::default())
            .await
            .unwrap_err();
        assert!(
            matches!(
                e,
                Error::NotFound {
                    what: "request",
                    ..
                }
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_fresh_order_is_refused_while_a_certificate_waits_or_is_saved() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, &["www.example.com"]).await.id;
        issue(&engine, &id, in_days(90)).await;
        let e = engine.new_challenge(&id).await.unwrap_err();
        assert!(e.to_string().contains("waiting to be saved"), "{e}");
        engine.save(&id).await.unwrap();
        let e = engine.new_challenge(&id).await.unwrap_err();
        assert!(e.to_string().contains("renew it instead"), "{e}");
        assert_eq!(engine.request(&id).unwrap().status, RequestStatus::Saved);
    }

    #[tokio::test]
    async fn only_a_saved_certificate_renews() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, &["www.example.com"]).await.id;
        let e = engine.renew(&id, Responders::default()).await.unwrap_err();
        assert!(
            e.to_string().contains("no saved certificate to renew"),
            "{e}"
        );
        assert_eq!(engine.request(&id).unwrap().status, RequestStatus::Created);
    }

    #[tokio::test]
    async fn a_dns_account_is_for_dns_01_requests_only() {
        let engine = Engine::in_memory().await;
        add_account(&engine, "le").await;
        let id = recorded(&engine, &["www.example.com"]).await.id;
        let e = engine
            .assign_dns(&id, Some("cloudflare"))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("dns-01 records only"), "{e}");
        assert!(engine.request(&id).unwrap().dns_account.is_none());
    }
}
