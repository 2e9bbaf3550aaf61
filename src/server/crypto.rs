//! Envelope encryption of Kubernetes secret values (AES-256-GCM).
//!
//! Each secret's values are encrypted under a fresh 256-bit data key; the data key is wrapped
//! (encrypted) by the master key. The master key never enters the database: it lives in a file
//! created with mode 0600 in the data directory (the embedded default), refused if its group or
//! other users have any permission on it, or comes from the environment. Rows record which
//! master key wrapped them, so rotation can re-wrap row by row and a keyring can hold the old
//! and the new key while it does.
//!
//! The values ciphertext is bound to its secret: its associated data names the secret id, so a
//! ciphertext copied into another secret's row fails to decrypt instead of handing that secret
//! someone else's values. Rows sealed before the binding existed are [`Envelope::Unbound`]; they
//! still open, and are re-sealed bound when next written or at the next key rotation.

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
/// as a value blob or the other way round. `v1` is the unbound envelope; `v2` is followed by
/// the secret id (see [`Envelope`]).
const AAD_VALUES: &[u8] = b"secrets-console/values/v1";
const AAD_VALUES_BOUND: &[u8] = b"secrets-console/values/v2/secret-id:";
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
    /// A key file grants some access to its group or to other users: refused rather than
    /// used, since the key decrypts every secret.
    #[error(
        "master key {} is {} by other users (mode {mode:04o}): run `chmod 600 {}`",
        path.display(),
        if mode & 0o044 != 0 { "readable" } else { "accessible" },
        path.display()
    )]
    KeyFileMode {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// A row's envelope format is not one this version knows.
    #[error(
        "stored secret values use envelope format {0}, which this version does not know (was the database written by a newer version?)"
    )]
    UnknownEnvelope(i64),
}

/// The format of a sealed value, stored in `secret_values.envelope`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Envelope {
    /// Sealed before values were bound to their secret: the associated data names no secret.
    /// Still opens; re-sealed as [`Envelope::Bound`] when next written or at rotation.
    Unbound,
    /// The associated data names the secret id, so the ciphertext opens only as that secret.
    Bound,
}

impl Envelope {
    /// The stored number.
    pub fn as_i64(self) -> i64 {
        match self {
            Envelope::Unbound => 1,
            Envelope::Bound => 2,
        }
    }

    /// The format a stored number names.
    pub fn from_i64(stored: i64) -> Result<Self, CryptoError> {
        match stored {
            1 => Ok(Envelope::Unbound),
            2 => Ok(Envelope::Bound),
            other => Err(CryptoError::UnknownEnvelope(other)),
        }
    }

    /// The associated data of the values ciphertext of secret `secret_id`.
    fn values_aad(self, secret_id: i64) -> Vec<u8> {
        match self {
            Envelope::Unbound => AAD_VALUES.to_vec(),
            Envelope::Bound => [AAD_VALUES_BOUND, &secret_id.to_be_bytes()].concat(),
        }
    }
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

    /// Reads the key file at `path`, which must exist and be private to its owner.
    pub fn load(path: &Path) -> Result<Self, CryptoError> {
        Self::read_private(path).map_err(|source| CryptoError::KeyFile {
            path: path.to_owned(),
            source,
        })?
    }

    /// Reads the key file at `path` (which must be private to its owner), or creates it
    /// (mode 0600) with a new key.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        match Self::read_private(path) {
            Ok(key) => key,
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

    /// Opens the key file and parses it, refusing it if its group or other users have any
    /// permission on it. The mode is taken from the open file, so it is the file that is read.
    /// The outer error is an I/O failure; the inner one a refused or malformed key.
    fn read_private(path: &Path) -> std::io::Result<Result<Self, CryptoError>> {
        use std::io::Read;
        use std::os::unix::fs::PermissionsExt;
        let mut file = std::fs::File::open(path)?;
        let mode = file.metadata()?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Ok(Err(CryptoError::KeyFileMode {
                path: path.to_owned(),
                mode,
            }));
        }
        let mut text = Zeroizing::new(String::new());
        file.read_to_string(&mut text)?;
        Ok(Self::from_base64(&text))
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
    /// Whether the values ciphertext is bound to its secret id.
    pub envelope: Envelope,
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
            .field("envelope", &self.envelope)
            .field("master_key_id", &self.master_key_id)
            .field("ciphertext_len", &self.ciphertext.len())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A key for `purpose` derived from each master key, the current one first (HMAC-SHA256
    /// of the purpose under the master key): for what the server seals for itself, such as
    /// the simulated clusters' saved state.
    pub fn derived_keys(&self, purpose: &str) -> Vec<Zeroizing<[u8; 32]>> {
        use hmac::{Hmac, Mac};
        std::iter::once(&self.current)
            .chain(&self.others)
            .map(|master| {
                let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(master.key.as_slice())
                    .expect("HMAC takes a key of any length");
                mac.update(purpose.as_bytes());
                Zeroizing::new(mac.finalize().into_bytes().into())
            })
            .collect()
    }

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

    /// Encrypts `values` of secret `secret_id` under a fresh data key wrapped by the current
    /// master key. The result opens only as that secret.
    pub fn seal(&self, secret_id: i64, values: &SecretValues) -> Result<Sealed, CryptoError> {
        self.seal_as(Envelope::Bound, secret_id, values)
    }

    fn seal_as(
        &self,
        envelope: Envelope,
        secret_id: i64,
        values: &SecretValues,
    ) -> Result<Sealed, CryptoError> {
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
                    aad: &envelope.values_aad(secret_id),
                },
            )
            .map_err(|_| CryptoError::Encrypt)?;
        Ok(Sealed {
            envelope,
            master_key_id: self.current.id.clone(),
            wrapped_key: self.wrap(&self.current, data_key.as_slice())?,
            nonce: nonce.to_vec(),
            ciphertext,
            fingerprint: self.fingerprint(values),
        })
    }

    /// Decrypts the sealed values of secret `secret_id`. Values sealed for another secret fail
    /// with [`CryptoError::Decrypt`] (unbound ones, from before the binding, open as any).
    pub fn open(&self, secret_id: i64, sealed: &Sealed) -> Result<SecretValues, CryptoError> {
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
                        aad: &sealed.envelope.values_aad(secret_id),
                    },
                )
                .map_err(|_| CryptoError::Decrypt)?,
        );
        serde_json::from_slice(&plaintext).map_err(|_| CryptoError::Decrypt)
    }

    /// Re-wraps the data key with the current master key (for rotation); the values
    /// ciphertext is untouched. An unbound envelope is instead re-sealed, bound to
    /// `secret_id`. Values that do not open as `secret_id` are an error.
    pub fn rewrap(&self, secret_id: i64, sealed: &Sealed) -> Result<Sealed, CryptoError> {
        let values = self.open(secret_id, sealed)?;
        if sealed.envelope != Envelope::Bound {
            return self.seal(secret_id, &values);
        }
        let old = self.key(&sealed.master_key_id)?;
        let data_key = self.unwrap(old, &sealed.wrapped_key)?;
        Ok(Sealed {
            envelope: sealed.envelope,
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
        let sealed = ring.seal(1, &values()).unwrap();
        let blob = [
            &sealed.wrapped_key[..],
            &sealed.nonce,
            &sealed.ciphertext,
            sealed.fingerprint.as_bytes(),
        ]
        .concat();
        assert!(!blob.windows(13).any(|w| w == b"canary-8f3a1c"));
        assert_eq!(ring.open(1, &sealed).unwrap(), values());
    }

    #[test]
    fn a_different_master_key_cannot_open_and_tampering_is_detected() {
        let sealed = Keyring::new(MasterKey::generate())
            .seal(1, &values())
            .unwrap();
        let other = Keyring::new(MasterKey::generate());
        assert!(matches!(
            other.open(1, &sealed),
            Err(CryptoError::UnknownKey(_))
        ));

        let ring = Keyring::new(MasterKey::generate());
        let mut tampered = ring.seal(1, &values()).unwrap();
        tampered.ciphertext[0] ^= 1;
        assert!(matches!(ring.open(1, &tampered), Err(CryptoError::Decrypt)));
    }

    #[test]
    fn rotation_rewraps_under_the_new_key() {
        let old = MasterKey::generate();
        let sealed = Keyring::new(old.clone()).seal(1, &values()).unwrap();
        let rotating = Keyring::new(MasterKey::generate()).with_other(old);
        let rewrapped = rotating.rewrap(1, &sealed).unwrap();
        assert_eq!(rewrapped.master_key_id, rotating.current_id());
        assert_eq!(rewrapped.ciphertext, sealed.ciphertext);
        let new_only = Keyring::new(rotating.current.clone());
        assert_eq!(new_only.open(1, &rewrapped).unwrap(), values());
    }

    #[test]
    fn fingerprints_depend_on_values_not_on_encryption() {
        let ring = Keyring::new(MasterKey::generate());
        assert_eq!(
            ring.seal(1, &values()).unwrap().fingerprint,
            ring.seal(1, &values()).unwrap().fingerprint
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

    #[test]
    fn values_sealed_for_one_secret_do_not_open_as_another() {
        let ring = Keyring::new(MasterKey::generate());
        let sealed = ring.seal(1, &values()).unwrap();
        assert_eq!(sealed.envelope, Envelope::Bound);
        assert!(matches!(ring.open(2, &sealed), Err(CryptoError::Decrypt)));
        assert!(matches!(ring.rewrap(2, &sealed), Err(CryptoError::Decrypt)));
        // Claiming the old format does not get around the binding either.
        let downgraded = Sealed {
            envelope: Envelope::Unbound,
            ..sealed.clone()
        };
        assert!(matches!(
            ring.open(2, &downgraded),
            Err(CryptoError::Decrypt)
        ));
        assert_eq!(ring.open(1, &sealed).unwrap(), values());
    }

    #[test]
    fn an_unbound_envelope_from_before_the_binding_still_opens_and_rotation_binds_it() {
        let old = MasterKey::generate();
        let legacy = Keyring::new(old.clone())
            .seal_as(Envelope::Unbound, 0, &values())
            .unwrap();
        assert_eq!(legacy.envelope.as_i64(), 1, "the format stored by 0002");
        assert_eq!(
            Keyring::new(old.clone()).open(7, &legacy).unwrap(),
            values()
        );

        let rotating = Keyring::new(MasterKey::generate()).with_other(old);
        let bound = rotating.rewrap(7, &legacy).unwrap();
        assert_eq!(bound.envelope, Envelope::Bound);
        assert_eq!(bound.master_key_id, rotating.current_id());
        assert_eq!(rotating.open(7, &bound).unwrap(), values());
        assert!(matches!(
            rotating.open(8, &bound),
            Err(CryptoError::Decrypt)
        ));
        assert!(matches!(
            Envelope::from_i64(3),
            Err(CryptoError::UnknownEnvelope(3))
        ));
    }

    #[test]
    fn a_key_file_other_users_can_read_is_refused_naming_the_file_and_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let chmod = |path: &Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        MasterKey::load_or_create(&path).unwrap();
        chmod(&path, 0o644);
        for result in [MasterKey::load(&path), MasterKey::load_or_create(&path)] {
            let error = result.unwrap_err();
            assert!(matches!(
                error,
                CryptoError::KeyFileMode { mode: 0o644, .. }
            ));
            assert_eq!(
                error.to_string(),
                format!(
                    "master key {0} is readable by other users (mode 0644): run `chmod 600 {0}`",
                    path.display()
                )
            );
        }
        chmod(&path, 0o600);

        // A rotation's files are written 0600, and held to the same rule.
        let pending = pending_key_path(&path);
        MasterKey::generate().write_new(&pending).unwrap();
        let mode = std::fs::metadata(&pending).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let source = MasterKeySource::File(path.clone());
        assert_eq!(load_keyring(&source).unwrap().others().len(), 1);
        chmod(&pending, 0o640);
        let error = load_keyring(&source).unwrap_err().to_string();
        assert!(
            error.contains(&format!("chmod 600 {}", pending.display())),
            "{error}"
        );
    }
}
