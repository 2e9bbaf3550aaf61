//! Envelope encryption of Kubernetes secret values (AES-256-GCM).
//!
//! Each secret's values are encrypted under a fresh 256-bit data key; the data key is wrapped
//! (encrypted) by the master key. The master key never enters the database: it lives in a file
//! created with mode 0600 in the data directory (the embedded default) or comes from the
//! environment. Rows record which master key wrapped them, so rotation can re-wrap row by row
//! and a keyring can hold the old and the new key while it does.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use super::config::{MASTER_KEY_ENV, MasterKeySource, PREVIOUS_MASTER_KEY_ENV};
use crate::model::secret::SecretValues;

/// Associated data binding ciphertexts to their purpose, so a wrapped key cannot be passed off
/// as a value blob or the other way round.
const AAD_VALUES: &[u8] = b"secrets-console/values/v1";
const AAD_DATA_KEY: &[u8] = b"secrets-console/data-key/v1";

/// Failures of the crypto layer. None of them carries key material or plaintext.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The key is not 32 bytes of base64.
    #[error("the master key must be 32 bytes, base64-encoded ({0})")]
    BadKey(&'static str),
    /// A row was wrapped by a key this process does not have.
    #[error("no master key with id {0} is loaded; was the key file replaced?")]
    UnknownKey(String),
    /// Decryption failed: wrong key or tampered data.
    #[error("stored secret values could not be decrypted (wrong key or tampered data)")]
    Decrypt,
    /// Encryption failed (should not happen).
    #[error("secret values could not be encrypted")]
    Encrypt,
}

/// A 256-bit master key. `Debug` shows only its id.
#[derive(Clone)]
pub struct MasterKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&Aes256Gcm::generate_key(&mut OsRng));
        Self::from_bytes(key)
    }

    fn from_bytes(key: Zeroizing<[u8; 32]>) -> Self {
        // The id is a hash of the key: it names the key without revealing it.
        let digest = Sha256::digest(Sha256::digest(key.as_slice()));
        let id = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        MasterKey { id, key }
    }

    /// Parses a base64-encoded 32-byte key (as in `SECRETS_CONSOLE_MASTER_KEY`).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let mut bytes = Zeroizing::new(
            BASE64
                .decode(text.trim())
                .map_err(|_| CryptoError::BadKey("not valid base64"))?,
        );
        if bytes.len() != 32 {
            bytes.zeroize();
            return Err(CryptoError::BadKey("wrong length"));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&bytes);
        Ok(Self::from_bytes(key))
    }

    /// The key, base64-encoded, for writing to its file.
    fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE64.encode(self.key.as_slice()))
    }

    /// The key's public id (a hash prefix).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads the key file at `path`, which must exist.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
            CryptoError::KeyFile {
                path: path.to_owned(),
                source,
            }
        })?);
        Self::from_base64(&text)
    }

    /// Reads the key file at `path`, or creates it (mode 0600) with a new key.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_base64(&Zeroizing::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate();
                key.write_new(path)?;
                Ok(key)
            }
            Err(source) => Err(CryptoError::KeyFile {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes the key to a new file with mode 0600; refuses to overwrite.
    pub fn write_new(&self, path: &Path) -> Result<(), CryptoError> {
        let io = |source| CryptoError::KeyFile {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
        file.write_all(self.to_base64().as_bytes()).map_err(io)?;
        file.write_all(b"\n").map_err(io)?;
        file.sync_all().map_err(io)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(self.key.as_slice()))
    }

    fn fingerprint_key(&self) -> Zeroizing<Vec<u8>> {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_slice()).expect("any key length");
        mac.update(b"secrets-console/fingerprint/v1");
        Zeroizing::new(mac.finalize().into_bytes().to_vec())
    }
}

/// The master keys this process can use: the current one (which wraps new data) and any
/// others it can still unwrap with (during a rotation).
#[derive(Clone, Debug)]
pub struct Keyring {
    current: MasterKey,
    others: Vec<MasterKey>,
}

/// Encrypted values as stored in `secret_values`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Which master key wrapped the data key.
    pub master_key_id: String,
    /// The data key, encrypted by the master key: nonce (12 bytes) then ciphertext.
    pub wrapped_key: Vec<u8>,
    /// The nonce of the values ciphertext.
    pub nonce: Vec<u8>,
    /// The values, encrypted by the data key.
    pub ciphertext: Vec<u8>,
    /// Keyed hash of the plaintext (see [`Keyring::fingerprint`]).
    pub fingerprint: String,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("master_key_id", &self.master_key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring with one key.
    pub fn new(current: MasterKey) -> Self {
        Keyring {
            current,
            others: Vec::new(),
        }
    }

    /// Adds a key that can unwrap, but not wrap.
    pub fn with_other(mut self, other: MasterKey) -> Self {
        if other.id != self.current.id {
            self.others.push(other);
        }
        self
    }

    /// The current key's id.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// The current key.
    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    /// The other keys, which can unwrap but not wrap.
    pub fn others(&self) -> &[MasterKey] {
        &self.others
    }

    fn key(&self, id: &str) -> Result<&MasterKey, CryptoError> {
        std::iter::once(&self.current)
            .chain(&self.others)
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_owned()))
    }

    /// Encrypts `values` under a fresh data key wrapped by the current master key.
    pub fn seal(&self, values: &SecretValues) -> Result<Sealed, CryptoError> {
        let plaintext = canonical(values);
        let mut data_key = Zeroizing::new([0u8; 32]);
        data_key.copy_from_slice(&Aes256Gcm::generate_key(&mut OsRng));
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(data_key.as_slice()));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.as_slice(),
                    aad: AAD_VALUES,
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        Ok(Sealed {
            master_key_id: self.current.id.clone(),
            wrapped_key: self.wrap(&self.current, data_key.as_slice())?,
            nonce: nonce.to_vec(),
            ciphertext,
            fingerprint: self.fingerprint(values),
        })
    }

    /// Decrypts sealed values.
    pub fn open(&self, sealed: &Sealed) -> Result<SecretValues, CryptoError> {
        let master = self.key(&sealed.master_key_id)?;
        let data_key = self.unwrap(master, &sealed.wrapped_key)?;
        if sealed.nonce.len() != 12 {
            return Err(CryptoError::Decrypt);
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(data_key.as_slice()));
        let plaintext = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(&sealed.nonce),
                    Payload {
                        msg: &sealed.ciphertext,
                        aad: AAD_VALUES,
                    },
                )
                .map_err(|_| CryptoError::Decrypt)?,
        );
        serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Decrypt)
    }

    /// Re-wraps the data key with the current master key (for rotation); the values
    /// ciphertext is untouched.
    pub fn rewrap(&self, sealed: &Sealed) -> Result<Sealed, CryptoError> {
        let old = self.key(&sealed.master_key_id)?;
        let data_key = self.unwrap(old, &sealed.wrapped_key)?;
        let values = self.open(sealed)?;
        Ok(Sealed {
            master_key_id: self.current.id.clone(),
            wrapped_key: self.wrap(&self.current, data_key.as_slice())?,
            nonce: sealed.nonce.clone(),
            ciphertext: sealed.ciphertext.clone(),
            fingerprint: self.fingerprint(&values),
        })
    }

    /// A keyed hash (HMAC-SHA256 under a key derived from the current master key) of the
    /// values: equal values give equal fingerprints, and without the key the fingerprint
    /// reveals nothing about them.
    pub fn fingerprint(&self, values: &SecretValues) -> String {
        let key = self.current.fingerprint_key();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("any key length");
        mac.update(&canonical(values));
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn wrap(&self, master: &MasterKey, data_key: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let mut out = nonce.to_vec();
        out.extend(
            master
                .cipher()
                .encrypt(
                    &nonce,
                    Payload {
                        msg: data_key,
                        aad: AAD_DATA_KEY,
                    },
                )
                .map_err(|_| CryptoError::Encrypt)?,
        );
        Ok(out)
    }

    fn unwrap(
        &self,
        master: &MasterKey,
        wrapped: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if wrapped.len() < 12 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, ciphertext) = wrapped.split_at(12);
        master
            .cipher()
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: AAD_DATA_KEY,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| CryptoError::Decrypt)
    }
}

/// The key file a rotation writes first (see `server::key_rotation`).
pub fn pending_key_path(path: &Path) -> PathBuf {
    suffixed(path, ".new")
}

/// Where a rotation keeps the key it replaced.
pub fn previous_key_path(path: &Path) -> PathBuf {
    suffixed(path, ".previous")
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The keyring a configuration names: the current key (a missing key file is created) plus any
/// key a rotation left behind or has under way.
pub fn load_keyring(source: &MasterKeySource) -> Result<Keyring, CryptoError> {
    match source {
        MasterKeySource::File(path) => {
            let mut ring = Keyring::new(MasterKey::load_or_create(path)?);
            for other in [previous_key_path(path), pending_key_path(path)] {
                if other.exists() {
                    ring = ring.with_other(MasterKey::load(&other)?);
                }
            }
            Ok(ring)
        }
        MasterKeySource::Environment => {
            let current = std::env::var(MASTER_KEY_ENV)
                .map_err(|_| CryptoError::BadKey("SECRETS_CONSOLE_MASTER_KEY is not set"))?;
            let mut ring = Keyring::new(MasterKey::from_base64(&Zeroizing::new(current))?);
            if let Ok(previous) = std::env::var(PREVIOUS_MASTER_KEY_ENV) {
                ring = ring.with_other(MasterKey::from_base64(&Zeroizing::new(previous))?);
            }
            Ok(ring)
        }
    }
}

/// The values as canonical JSON (sorted by key), zeroized when dropped.
fn canonical(values: &SecretValues) -> Zeroizing<Vec<u8>> {
    let sorted: BTreeMap<&str, &str> = values.iter().collect();
    let sorted = SecretValues::from_pairs(
        sorted
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    Zeroizing::new(serde_json::to_vec(&sorted).expect("strings serialize"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> SecretValues {
        SecretValues::from_pairs([
            ("password".to_owned(), "canary-8f3a1c".to_owned()),
            ("username".to_owned(), "app".to_owned()),
        ])
    }

    #[test]
    fn sealed_values_open_to_the_same_values_and_hide_them() {
        let ring = Keyring::new(MasterKey::generate());
        let sealed = ring.seal(&values()).unwrap();
        let blob = [
            &sealed.wrapped_key[..],
            &sealed.nonce,
            &sealed.ciphertext,
            sealed.fingerprint.as_bytes(),
        ]
        .concat();
        assert!(!blob.windows(13).any(|w| w == b"canary-8f3a1c"));
        assert_eq!(ring.open(&sealed).unwrap(), values());
    }

    #[test]
    fn a_different_master_key_cannot_open_and_tampering_is_detected() {
        let sealed = Keyring::new(MasterKey::generate()).seal(&values()).unwrap();
        let other = Keyring::new(MasterKey::generate());
        assert!(matches!(
            other.open(&sealed),
            Err(CryptoError::UnknownKey(_))
        ));

        let ring = Keyring::new(MasterKey::generate());
        let mut tampered = ring.seal(&values()).unwrap();
        tampered.ciphertext[0] ^= 1;
        assert!(matches!(ring.open(&tampered), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn rotation_rewraps_under_the_new_key() {
        let old = MasterKey::generate();
        let sealed = Keyring::new(old.clone()).seal(&values()).unwrap();
        let rotating = Keyring::new(MasterKey::generate()).with_other(old);
        let rewrapped = rotating.rewrap(&sealed).unwrap();
        assert_eq!(rewrapped.master_key_id, rotating.current_id());
        assert_eq!(rewrapped.ciphertext, sealed.ciphertext);
        let new_only = Keyring::new(rotating.current.clone());
        assert_eq!(new_only.open(&rewrapped).unwrap(), values());
    }

    #[test]
    fn fingerprints_depend_on_values_not_on_encryption() {
        let ring = Keyring::new(MasterKey::generate());
        assert_eq!(
            ring.seal(&values()).unwrap().fingerprint,
            ring.seal(&values()).unwrap().fingerprint
        );
        let changed = SecretValues::from_pairs([("password".to_owned(), "other".to_owned())]);
        assert_ne!(ring.fingerprint(&changed), ring.fingerprint(&values()));
    }

    #[test]
    fn key_file_is_created_with_mode_0600_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/master.key");
        let created = MasterKey::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = MasterKey::load_or_create(&path).unwrap();
        assert_eq!(loaded.id(), created.id());
        assert!(!format!("{loaded:?}").contains(&*loaded.to_base64()));
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_them() {
        let err = MasterKey::from_base64("c2hvcnQ=").unwrap_err();
        assert!(!err.to_string().contains("c2hvcnQ"));
        assert!(MasterKey::from_base64("not base64!").is_err());
    }
}
