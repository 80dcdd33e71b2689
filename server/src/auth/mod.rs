//! Who may do what: agent accounts (argon2 password hashes, signed short-lived tokens bound to a
//! kfId, logout, throttled logins), roles (agent, supervisor), and customers who own their
//! conversations (a resume secret, or an id signed by the host site). See docs/security.md.

pub mod hashing;
pub mod keys;
pub mod passwd;
pub mod throttle;
pub mod visitor;
pub mod visitor_limits;

use crate::reply::{fail, Reply};
use crate::store::Store;
use argon2::password_hash::{PasswordHash, SaltString};
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

    /// Refuses (403) unless the caller is agent `kf_id` or a supervisor (who manages the team:
    /// presence from the board).
    pub fn manages(&self, kf_id: &str) -> Result<(), Reply> {
        match self {
            Caller::Agent { supervisor: true, .. } => Ok(()),
            _ => self.acts_as(kf_id),
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
    /// Password checks, a few at once on threads of their own (each argon2 check takes ~19 MiB):
    /// beyond them a login waits briefly, then gets 503 without hashing.
    pub hashing: hashing::Hashing,
}

impl Auth {
    /// Accounts signing tokens with `key` (32 random bytes, kept by the caller).
    pub fn new(key: &[u8], cfg: &crate::config::Config) -> Auth {
        Auth {
            encoding: EncodingKey::from_secret(key),
            decoding: DecodingKey::from_secret(key),
            ttl: Duration::from_secs(cfg.token_ttl_mins.max(1) * 60),
            insecure: cfg.insecure_no_auth,
            open_registration: cfg.open_registration,
            throttle: throttle::Throttle::default(),
            visitor_id_key: cfg.visitor_id_secret.as_ref().map(|s| s.as_bytes().to_vec()),
            hashing: hashing::Hashing::new(cfg.max_password_checks),
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

/// Runs argon2 `argon` into `out` in this thread's own memory (~19 MiB with the default
/// parameters), kept for the next hash or check. Freshly allocated each time, the allocator kept
/// what it had given back (+13 MiB per check, +17.5 MiB per new agent measured), so a server's
/// memory depended on how many passwords it had ever hashed.
fn argon2_in_place(argon: &Argon2<'_>, password: &[u8], salt: &[u8], out: &mut [u8]) -> Result<(), argon2::Error> {
    thread_local! {
        static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let count = argon.params().block_count();
    BLOCKS.with(|b| {
        let mut blocks = b.borrow_mut();
        if blocks.len() < count {
            blocks.resize(count, argon2::Block::default());
        }
        argon.hash_password_into_with_memory(password, salt, out, &mut blocks[..count])
    })
}

/// The argon2 hash (PHC string) of `password`, with a random salt (argon2id, default parameters).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&keys::random_bytes::<16>()).expect("16 bytes make a valid salt");
    let argon = Argon2::default();
    let mut salt_buf = [0u8; 64];
    let raw_salt = salt.decode_b64(&mut salt_buf).expect("a salt just encoded");
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon2_in_place(&argon, password.as_bytes(), raw_salt, &mut out).expect("argon2 hashing");
    let hash = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: argon.params().try_into().expect("default parameters encode"),
        salt: Some(salt.as_salt()),
        hash: Some(argon2::password_hash::Output::new(&out).expect("32 bytes of output")),
    };
    hash.to_string()
}

/// Whether `password` matches the PHC string `hash` (in this thread's argon2 memory, see
/// [`argon2_in_place`]).
pub fn verify_password(password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Ok(params), Ok(algorithm)) = (argon2::Params::try_from(&parsed), argon2::Algorithm::try_from(parsed.algorithm)) else { return false };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return false };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else { return false };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params);
    let done = argon2_in_place(&argon, password.as_bytes(), salt, &mut out);
    done.is_ok() && bool::from(subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected.as_bytes()))
}

/// Checks `password` against a hash made once with the same parameters, for unknown accounts and
/// accounts without a password: the answer takes as long as a real check, so timing does not tell
/// which accounts exist. Always false.
pub fn verify_dummy(password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password(&hex::encode(keys::random_bytes::<16>())));
    let _ = std::hint::black_box(verify_password(password, hash));
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordVerifier;

    #[test]
    fn our_hashes_are_argon2id_phc_strings_the_argon2_crate_itself_accepts() {
        let hash = hash_password("秘密 secret");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        let parsed = PasswordHash::new(&hash).unwrap();
        assert!(Argon2::default().verify_password("秘密 secret".as_bytes(), &parsed).is_ok(), "the crate's own check");
        assert!(Argon2::default().verify_password(b"wrong", &parsed).is_err());
        assert!(verify_password("秘密 secret", &hash) && !verify_password("秘密 secreT", &hash));
        assert_ne!(hash, hash_password("秘密 secret"), "a new salt each time");
    }
}
