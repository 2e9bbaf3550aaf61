//! Seals the built-in simulated clusters' saved state with a key derived from the master key:
//! their Secrets hold the values the reconciler wrote, which must not lie in the data
//! directory in the clear.

use aes_gcm::aead::{Aead, KeyInit, OsRng, rand_core::RngCore};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use super::crypto::Keyring;

/// What the derived key is for.
const PURPOSE: &str = "secrets-console simulated cluster state v1";
/// Marks a sealed state file (a plain one starts with `{`).
const MAGIC: &[u8] = b"SCSIM1";

/// AES-256-GCM under keys derived from the master keys (current first, so a file saved before
/// a master-key rotation still opens).
pub struct StateCipher {
    keys: Vec<Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for StateCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateCipher(..)")
    }
}

impl StateCipher {
    /// The cipher for `keys`.
    pub fn new(keys: &Keyring) -> Self {
        StateCipher {
            keys: keys.derived_keys(PURPOSE),
        }
    }
}

impl crate::sim::StateCipher for StateCipher {
    fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new_from_slice(self.keys[0].as_slice()).expect("32-byte key");
        let mut nonce = [0u8; 12];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plain)
            .expect("AES-GCM encrypts any length we write");
        [MAGIC, &nonce, &sealed].concat()
    }

    fn open(&self, stored: &[u8]) -> Result<Vec<u8>, String> {
        let Some(rest) = stored.strip_prefix(MAGIC) else {
            // Saved by a version that did not seal: read once, sealed at the next save.
            return Ok(stored.to_vec());
        };
        if rest.len() < 12 {
            return Err("the sealed state is truncated".to_owned());
        }
        let (nonce, sealed) = rest.split_at(12);
        self.keys
            .iter()
            .find_map(|key| {
                Aes256Gcm::new_from_slice(key.as_slice())
                    .ok()?
                    .decrypt(Nonce::from_slice(nonce), sealed)
                    .ok()
            })
            .ok_or_else(|| "the state was sealed with another master key".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::crypto::MasterKey;
    use crate::sim::StateCipher as _;

    const KEY_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const KEY_B: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";

    fn key(text: &str) -> MasterKey {
        MasterKey::from_base64(text).unwrap()
    }

    #[test]
    fn sealed_state_hides_its_values_and_opens_with_the_same_key_only() {
        let cipher = StateCipher::new(&Keyring::new(key(KEY_A)));
        let plain = br#"{"objects":[{"data":{"password":"c2VjcmV0"}}]}"#;
        let sealed = cipher.seal(plain);
        assert!(!sealed.windows(8).any(|w| w == b"c2VjcmV0"));
        assert_eq!(cipher.open(&sealed).unwrap(), plain);
        let other = StateCipher::new(&Keyring::new(key(KEY_B)));
        assert!(other.open(&sealed).is_err());
        // After a rotation the previous key still opens it.
        let rotated = StateCipher::new(&Keyring::new(key(KEY_B)).with_other(key(KEY_A)));
        assert_eq!(rotated.open(&sealed).unwrap(), plain);
        // A state saved in the clear by an earlier version is read once.
        assert_eq!(cipher.open(b"{}").unwrap(), b"{}");
    }
}
