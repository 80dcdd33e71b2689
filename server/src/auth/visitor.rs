//! Customers own their conversations. A new customer id is claimed on its first connection and
//! gets a resume secret (128 random bits; the store keeps only its SHA-256); coming back needs
//! it. Sites with their own signed-in users may instead sign the id with an expiry: `sig` = hex
//! HMAC-SHA256 of `userId + "\n" + exp` under the site's key (`--visitor-id-secret`), refused
//! after `exp`. An id alone gets nothing.

use super::visitor_limits::VisitorLimits;
use super::{keys, Auth};
use crate::store::Store;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How a visitor connection was let in.
#[derive(Debug, Clone, PartialEq)]
pub enum VisitorAccess {
    /// A new id, now this visitor's: the secret to keep (sent once, in the first status frame).
    New {
        /// The resume secret (32 hex digits).
        secret: String,
    },
    /// A returning visitor with the id's resume secret.
    Resumed,
    /// An id signed by the host site.
    Signed,
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Why a customer id is refused, if it is: control characters, surrounding whitespace, or a form
/// NFKC would change (full-width and other lookalikes of another id).
pub fn invalid_user_id(user_id: &str) -> Option<&'static str> {
    if user_id.is_empty() || user_id.chars().count() > 128 {
        return Some("userId must be 1 to 128 characters");
    }
    if user_id.chars().any(char::is_control) || user_id.trim() != user_id {
        return Some("userId must not contain control characters or surrounding spaces");
    }
    if !unicode_normalization::is_nfkc(user_id) {
        return Some("userId must be in Unicode NFKC form (no full-width or compatibility characters)");
    }
    None
}

/// Decides whether a socket for `user_id` may be opened. `known` says whether the routing hub
/// already has this customer (a conversation restored from the store, say); a new id is reserved
/// against `address`'s limit in `limits` (and given back if the id was not new after all). The
/// error is the reason shown to the visitor.
pub fn admit(
    auth: &Auth,
    store: &Store,
    user_id: &str,
    given: Given<'_>,
    known: bool,
    limits: &VisitorLimits,
    address: std::net::IpAddr,
) -> Result<VisitorAccess, &'static str> {
    if let Some(sig) = given.sig {
        let key = auth.visitor_id_key.as_deref().ok_or("this server does not accept signed visitor ids")?;
        let exp: u64 = given.exp.and_then(|e| e.parse().ok()).ok_or("a signed visitor id needs `exp` (seconds since the epoch)")?;
        let sig = hex::decode(sig).map_err(|_| "the visitor id signature is not hex")?;
        id_mac(key, user_id, exp).verify_slice(&sig).map_err(|_| "the visitor id signature is wrong")?;
        if exp <= (crate::hub::now_ms() / 1000) as u64 {
            return Err("the visitor id signature has expired: reload the page");
        }
        return Ok(VisitorAccess::Signed);
    }
    match store.visitor_secret(user_id) {
        Ok(Some(hash)) => {
            let given = given.resume.map(sha256_hex).unwrap_or_default();
            if bool::from(given.as_bytes().ct_eq(hash.as_bytes())) {
                Ok(VisitorAccess::Resumed)
            } else {
                Err("this conversation belongs to someone else: its resume secret is missing or wrong")
            }
        }
        Ok(None) if known => Err("this conversation belongs to someone else"),
        Ok(None) => {
            limits.claim(address)?;
            let secret = hex::encode(keys::random_bytes::<16>());
            let claimed = store.claim_visitor(user_id, &sha256_hex(&secret), crate::hub::now_ms());
            if !matches!(claimed, Ok(true)) {
                limits.unclaim(address);
            }
            match claimed {
                Ok(true) => Ok(VisitorAccess::New { secret }),
                Ok(false) => Err("this conversation belongs to someone else"),
                Err(_) => Err("cannot check the visitor id now"),
            }
        }
        Err(_) => Err("cannot check the visitor id now"),
    }
}

/// What a visitor socket brought to prove who it is.
#[derive(Default, Clone, Copy)]
pub struct Given<'a> {
    /// The resume secret the server issued for the id.
    pub resume: Option<&'a str>,
    /// The host site's signature of id + expiry.
    pub sig: Option<&'a str>,
    /// The signature's expiry (seconds since the epoch, decimal).
    pub exp: Option<&'a str>,
}

/// HMAC-SHA256 of `user_id` and `exp` (joined by a newline) under the site key.
fn id_mac(key: &[u8], user_id: &str, exp: u64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(user_id.as_bytes());
    mac.update(b"\n");
    mac.update(exp.to_string().as_bytes());
    mac
}

/// The signature a host site sends for `user_id` valid until `exp` (seconds since the epoch):
/// hex HMAC-SHA256(key, userId + "\n" + exp). For tests and the docs' example.
pub fn sign_visitor_id(key: &[u8], user_id: &str, exp: u64) -> String {
    hex::encode(id_mac(key, user_id, exp).finalize().into_bytes())
}
