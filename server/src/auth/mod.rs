//! Who may do what: agent accounts (argon2 password hashes, signed short-lived tokens bound to a
//! kfId, logout, throttled logins), roles (agent, supervisor), and customers who own their
//! conversations (a resume secret, or an id signed by the host site). See docs/security.md.

pub mod keys;
pub mod routes;
pub mod throttle;
pub mod visitor;

use crate::http_api::{fail, Reply};
use crate::store::Store;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The claims of an agent token.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Claims {
    /// The agent's kfId: the token acts as this agent only.
    pub sub: String,
    /// `agent` or `supervisor`.
    pub role: String,
    /// Issued at, ms since the epoch (a logout voids tokens issued before it).
    pub iat_ms: i64,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

/// The caller of an agent endpoint, as the guard established it.
#[derive(Clone, Debug, PartialEq)]
pub enum Caller {
    /// A signed-in agent.
    Agent {
        /// Its kfId.
        kf_id: String,
        /// Role `supervisor`.
        supervisor: bool,
    },
    /// `--insecure-no-auth`: nobody is checked (legacy demos only).
    Unchecked,
}

impl Caller {
    /// Refuses (403) unless the caller is agent `kf_id`: one agent can never act as another.
    pub fn acts_as(&self, kf_id: &str) -> Result<(), Reply> {
        match self {
            Caller::Agent { kf_id: me, .. } if me != kf_id => {
                Err(fail(403, &format!("signed in as {me:?}: cannot act as agent {kf_id:?}")))
            }
            _ => Ok(()),
        }
    }

    /// Refuses (403) unless the caller is agent `kf_id` or a supervisor (reading a profile).
    pub fn reads_profile_of(&self, kf_id: &str) -> Result<(), Reply> {
        match self {
            Caller::Agent { supervisor: true, .. } => Ok(()),
            _ => self.acts_as(kf_id),
        }
    }

    /// Refuses (403) unless the caller is a supervisor.
    pub fn supervisor(&self) -> Result<(), Reply> {
        match self {
            Caller::Agent { supervisor: false, .. } => Err(fail(403, "only a supervisor may do this")),
            _ => Ok(()),
        }
    }

    /// Refuses (403) unless the caller may read customer `user_id`'s chat log: a supervisor, or
    /// an agent who served them.
    pub fn reads_log_of(&self, store: &Store, user_id: &str) -> Result<(), Reply> {
        match self {
            Caller::Agent { supervisor: true, .. } | Caller::Unchecked => Ok(()),
            Caller::Agent { kf_id, .. } => match store.served(kf_id, user_id) {
                Ok(true) => Ok(()),
                Ok(false) => Err(fail(403, "you can read the chat logs of customers you served only")),
                Err(e) => Err(fail(500, &format!("store error: {e}"))),
            },
        }
    }
}

/// The server's authentication settings and state.
pub struct Auth {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl: Duration,
    /// Agents are not checked at all (`--insecure-no-auth`).
    pub insecure: bool,
    /// Unknown agents register on their first login (`--open-registration`, tests).
    pub open_registration: bool,
    /// Failed-login counters.
    pub throttle: throttle::Throttle,
    /// The host site's key for signed visitor ids, if configured.
    pub visitor_id_key: Option<Vec<u8>>,
}

impl Auth {
    /// Accounts signing tokens with `key` (32 random bytes, kept by the caller).
    pub fn new(key: &[u8], cfg: &crate::Config) -> Auth {
        Auth {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            ttl: Duration::from_secs(cfg.token_ttl_mins.max(1) * 60),
            insecure: cfg.insecure_no_auth,
            open_registration: cfg.open_registration,
            throttle: throttle::Throttle::default(),
            visitor_id_key: cfg.visitor_id_secret.as_ref().map(|s| s.as_bytes().to_vec()),
        }
    }

    /// A token for agent `kf_id` with `role`, valid for the configured time; and its expiry
    /// (seconds since the epoch).
    pub fn issue(&self, kf_id: &str, role: &str) -> (String, u64) {
        let now = crate::hub::now_ms();
        let exp = (now / 1000) as u64 + self.ttl.as_secs();
        let claims = Claims { sub: kf_id.to_owned(), role: role.to_owned(), iat_ms: now, exp };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).expect("HS256 signing");
        (token, exp)
    }

    /// The caller behind `token`: signature, expiry, and not voided by a logout since.
    pub fn caller(&self, store: &Store, token: Option<&str>) -> Result<Caller, &'static str> {
        if self.insecure {
            return Ok(Caller::Unchecked);
        }
        let token = token.ok_or("sign in first: this needs an agent token (POST /auth/login)")?;
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = 5;
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "your sign-in has expired: sign in again",
                _ => "invalid token: sign in again",
            })?
            .claims;
        match store.credentials(&claims.sub) {
            Ok(Some(c)) if claims.iat_ms >= c.tokens_after => {
                Ok(Caller::Agent { kf_id: claims.sub, supervisor: c.role == "supervisor" })
            }
            Ok(Some(_)) => Err("you signed out: sign in again"),
            Ok(None) => Err("unknown agent"),
            Err(_) => Err("cannot check the token now"),
        }
    }
}

/// The argon2 hash (PHC string) of `password`, with a random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&keys::random_bytes::<16>()).expect("16 bytes make a valid salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashing").to_string()
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}
