//! The complainant's pseudonymous key (投诉人标识): the same for every case
//! of one complainant, so triage can find their earlier cases (重复投诉),
//! yet meaningless outside intake.
//!
//! It is an HMAC-SHA-256 of the normalised phone number (or, without one,
//! the e-mail address) under a secret that intake makes on its first start
//! and keeps in its own schema. A plain hash would not do: the phone numbers
//! of a country are few enough to hash them all and read the key back.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;
use sqlx::PgPool;

/// Computes complainant keys under intake's secret.
#[derive(Clone)]
pub struct KeyMaker {
    secret: Vec<u8>,
}

impl KeyMaker {
    pub fn new(secret: Vec<u8>) -> Self {
        Self { secret }
    }

    /// Loads the secret, making it on the first start (two replicas starting
    /// at once agree: the first insert wins).
    pub async fn load(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let mut fresh = vec![0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        sqlx::query("INSERT INTO key_secret (secret) VALUES ($1) ON CONFLICT (id) DO NOTHING")
            .bind(&fresh)
            .execute(pool)
            .await?;
        let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM key_secret")
            .fetch_one(pool)
            .await?;
        Ok(Self::new(secret))
    }

    /// The key of a complainant reached at `phone` or `email`; empty when
    /// neither is given. Phone numbers count by their digits, without the
    /// country code 86 (+86 138-1234-5678 = 13812345678); e-mail addresses
    /// without case.
    pub fn key(&self, phone: &str, email: &str) -> String {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let digits = match digits.strip_prefix("86") {
            Some(rest) if rest.len() == 11 => rest.to_owned(),
            _ => digits,
        };
        let contact = if !digits.is_empty() {
            format!("phone:{digits}")
        } else if !email.trim().is_empty() {
            format!("email:{}", email.trim().to_lowercase())
        } else {
            return String::new();
        };
        // An HMAC takes a key of any length; this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else {
            return String::new();
        };
        mac.update(contact.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_complainant_one_key_however_the_number_is_written() {
        let k = KeyMaker::new(b"secret".to_vec());
        let a = k.key("13812345678", "");
        assert_eq!(a.len(), 64);
        assert_eq!(k.key("+86 138-1234-5678", ""), a);
        assert_eq!(k.key("138 1234 5678", "x@example.com"), a);
        assert_ne!(k.key("13812345679", ""), a);
        assert_eq!(k.key("", "Li@Example.com "), k.key("", "li@example.com"));
        assert_eq!(k.key("", ""), "");
    }

    #[test]
    fn another_secret_gives_another_key() {
        let a = KeyMaker::new(b"one".to_vec()).key("13812345678", "");
        let b = KeyMaker::new(b"two".to_vec()).key("13812345678", "");
        assert_ne!(a, b);
        assert!(!a.contains("13812345678"));
    }
}
