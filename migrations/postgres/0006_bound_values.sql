-- The format of the sealed values (server::crypto::Envelope): 1 = sealed before values were
-- bound to their secret (every row before this migration), 2 = the ciphertext's associated data
-- names the secret id. Rows at 1 are re-sealed at 2 when next written or at key rotation.
ALTER TABLE secret_values ADD COLUMN envelope BIGINT NOT NULL DEFAULT 1;
