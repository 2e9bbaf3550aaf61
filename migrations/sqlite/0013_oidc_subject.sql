-- Single sign-on (OpenID Connect): a user who signs in through the organisation's provider is
-- known by the provider's issuer and subject (`sub`), which never change, rather than by the
-- email, which can. NULL for local accounts; a user with a subject has no usable password
-- (server::auth::users::verify_credentials skips them).
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_subject ON users (oidc_subject);
