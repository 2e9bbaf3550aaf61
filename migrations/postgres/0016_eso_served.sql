-- Which External Secrets Operator each cluster runs, as last discovered by the reconciling
-- replica (src/server/cluster/eso_served.rs): the external-secrets.io version the console
-- writes there ('v1', or 'v1beta1' on older installs; NULL when the group is not served) and
-- the operator's release from its Deployment's app.kubernetes.io/version label (NULL when it
-- could not be read). eso_checked_at is NULL until discovery first answered.
ALTER TABLE clusters ADD COLUMN eso_api_version TEXT;
ALTER TABLE clusters ADD COLUMN eso_version TEXT;
ALTER TABLE clusters ADD COLUMN eso_checked_at BIGINT;
