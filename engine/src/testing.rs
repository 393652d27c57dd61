//! What the unit tests above the store share: an engine in memory ([`Engine::in_memory`]) with
//! accounts, requests and issued certificates of the tests' own making. No data folder, no
//! keychain, no CA: an account's CA is a closed port on this machine, so an order placed there
//! is cut off before it leaves it, just as when the CA is unreachable.

use base64::prelude::{Engine as _, BASE64_URL_SAFE_NO_PAD};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use time::{Duration, OffsetDateTime};

use crate::account::{AccountInfo, AccountStatus};
use crate::acme::Ca;
use crate::keys::{KeyAlgorithm, PrivateKey};
use crate::keystore::KeystoreType;
use crate::names::ChallengeType;
use crate::request::{KeyPolicy, RequestInfo, RequestRecord, RequestSpec, RequestStatus};
use crate::Engine;

/// A directory URL where nothing answers: a port of this machine bound and let go.
fn unreachable_directory() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free local port");
    let port = listener.local_addr().expect("its address").port();
    format!("https://127.0.0.1:{port}/directory")
}

/// Adds an active account `name` at a CA of its own that does not answer; its credentials
/// (a P-256 key, as instant-acme keeps them) are sealed at their place.
pub(crate) async fn add_account(engine: &Engine, name: &str) -> AccountInfo {
    let directory = unreachable_directory();
    let key = PrivateKey::generate(KeyAlgorithm::EcP256).expect("a P-256 key");
    let credentials = serde_json::json!({
        "id": format!("{directory}/acct/{name}"),
        "key_pkcs8": BASE64_URL_SAFE_NO_PAD.encode(key.pkcs8_der()),
        "directory": directory,
    });
    let info = AccountInfo {
        name: name.to_owned(),
        email: format!("{name}@example.com"),
        ca: Ca::custom(&directory).expect("an https directory URL"),
        directory_url: directory.clone(),
        url: format!("{directory}/acct/{name}"),
        status: AccountStatus::Active,
        created: OffsetDateTime::now_utc(),
        ca_root_pem: None,
    };
    let record = engine
        .accounts
        .seal(info.clone(), credentials.to_string().as_bytes());
    engine
        .accounts
        .save(&record)
        .await
        .expect("the account is stored");
    info
}

/// What a test asks for, unless it says otherwise: `names` by http-01, an ECDSA key in a PEM
/// keystore, with the only account.
pub(crate) fn spec(names: &[&str]) -> RequestSpec {
    RequestSpec {
        names: names.iter().map(|n| n.to_string()).collect(),
        key: KeyAlgorithm::EcP256,
        signature: None,
        keystore: KeystoreType::Pem,
        keystore_password: None,
        key_policy: KeyPolicy::New,
        import_key_pem: None,
        challenge: ChallengeType::Http01,
        dns_account: None,
        account: None,
        fallback_account: None,
        profile: None,
        preferred_chain: None,
    }
}

/// Records a request for `spec`: its order is cut off (the CA does not answer), so it stays
/// `Created`, as after a crash before the order was placed.
pub(crate) async fn create(engine: &Engine, spec: RequestSpec) -> RequestInfo {
    let before = engine.requests().expect("the requests list");
    let e = engine
        .create_request(spec)
        .await
        .expect_err("the test CA does not answer");
    assert!(e.to_string().contains("is recorded"), "{e}");
    let mut after = engine.requests().expect("the requests list");
    after.retain(|r| before.iter().all(|b| b.id != r.id));
    assert_eq!(after.len(), 1, "one request is recorded");
    after.remove(0)
}

/// A request for `names` by http-01 with the only account, as [`Engine::create_request`]
/// records it before its order is placed: [`create`] without the wait for a CA that does not
/// answer.
pub(crate) async fn recorded(engine: &Engine, names: &[&str]) -> RequestInfo {
    let account = engine.account(None).expect("the only account").name;
    let now = OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .expect("now in RFC 3339");
    let json = record_json(&crate::ids::random_hex(6), names, &account, &now);
    let record: RequestRecord = serde_json::from_value(json).expect("a request record");
    engine
        .requests
        .save(&record)
        .await
        .expect("the request is stored");
    record.info
}

/// A request record as stored: `id` for `names` by http-01 with `account`, a P-256 key into PEM,
/// created (and last changed) at `at` (RFC 3339). Tests of the record itself add fields to it.
pub(crate) fn record_json(id: &str, names: &[&str], account: &str, at: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "names": names,
        "account": account,
        "key": KeyAlgorithm::EcP256,
        "signature": KeyAlgorithm::EcP256.default_signature(),
        "keystore": KeystoreType::Pem,
        "key_policy": KeyPolicy::New,
        "challenge_type": ChallengeType::Http01,
        "status": RequestStatus::Created,
        "created": at,
        "updated": at,
    })
}

/// Makes request `id` as the CA's download leaves it (`Available`): a chain for its names that
/// expires at `not_after`, whose key is the order's, sealed at its place. Returns the leaf PEM.
pub(crate) async fn issue(engine: &Engine, id: &str, not_after: OffsetDateTime) -> String {
    let mut record = engine.request_record(id).expect("the request");
    let names: Vec<String> = record
        .info
        .names
        .iter()
        .map(|n| n.as_str().to_owned())
        .collect();
    let key = PrivateKey::generate(record.info.key).expect("the order's key");
    let (leaf, chain) = chain(&names, not_after, &key);
    record.info.status = RequestStatus::Available;
    record.issued_pem = Some(chain);
    record.order_key = Some(engine.requests.seal(
        &record.info.id,
        RequestRecord::ORDER_KEY,
        key.pkcs8_der(),
    ));
    engine
        .requests
        .save(&record)
        .await
        .expect("the issued request is stored");
    leaf
}

/// A leaf for `names` with `key`, valid from 60 days before `not_after`, issued by a CA of its
/// own: the leaf's PEM, and the chain leaf first.
pub(crate) fn chain(
    names: &[String],
    not_after: OffsetDateTime,
    key: &PrivateKey,
) -> (String, String) {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "certdesk unit test CA");
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca_pem = ca.self_signed(&ca_key).expect("the CA signs itself").pem();
    let issuer = Issuer::new(ca, ca_key);

    let mut leaf = CertificateParams::new(names.to_vec()).expect("leaf parameters");
    leaf.distinguished_name.push(DnType::CommonName, &names[0]);
    leaf.not_after = not_after;
    leaf.not_before = not_after - Duration::days(60);
    let leaf_key = KeyPair::try_from(key.pkcs8_der()).expect("the order's key for rcgen");
    let leaf_pem = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("the CA signs the leaf")
        .pem();
    (leaf_pem.clone(), format!("{leaf_pem}{ca_pem}"))
}
