//! Customers own their conversations. A new customer id is claimed on its first connection and
//! gets a resume secret (128 random bits; the store keeps only its SHA-256); coming back needs
//! it. Sites with their own signed-in users may instead sign the id: `sig` = hex HMAC-SHA256 of
//! the user id under the site's key (`--visitor-id-secret`). An id alone gets nothing.

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

/// Decides whether a socket for `user_id` may be opened. `known` says whether the routing hub
/// already has this customer (a conversation restored from the store, say). The error is the
/// reason shown to the visitor.
pub fn admit(auth: &Auth, store: &Store, user_id: &str, resume: Option<&str>, sig: Option<&str>, known: bool) -> Result<VisitorAccess, &'static str> {
    if let Some(sig) = sig {
        let key = auth.visitor_id_key.as_deref().ok_or("this server does not accept signed visitor ids")?;
        let sig = hex::decode(sig).map_err(|_| "the visitor id signature is not hex")?;
        return id_mac(key, user_id)
            .verify_slice(&sig).map(|_| VisitorAccess::Signed).map_err(|_| "the visitor id signature is wrong");
    }
    match store.visitor_secret(user_id) {
        Ok(Some(hash)) => {
            let given = resume.map(sha256_hex).unwrap_or_default();
            if bool::from(given.as_bytes().ct_eq(hash.as_bytes())) {
                Ok(VisitorAccess::Resumed)
            } else {
                Err("this conversation belongs to someone else: its resume secret is missing or wrong")
            }
        }
        Ok(None) if known => Err("this conversation belongs to someone else"),
        Ok(None) => {
            let secret = hex::encode(keys::random_bytes::<16>());
            match store.claim_visitor(user_id, &sha256_hex(&secret), crate::hub::now_ms()) {
                Ok(true) => Ok(VisitorAccess::New { secret }),
                Ok(false) => Err("this conversation belongs to someone else"),
                Err(_) => Err("cannot check the visitor id now"),
            }
        }
        Err(_) => Err("cannot check the visitor id now"),
    }
}

/// HMAC-SHA256 of `user_id` under the site key.
fn id_mac(key: &[u8], user_id: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(user_id.as_bytes());
    mac
}

/// The signature a host site sends for `user_id` (for tests and the docs' example).
pub fn sign_visitor_id(key: &[u8], user_id: &str) -> String {
    hex::encode(id_mac(key, user_id).finalize().into_bytes())
}
