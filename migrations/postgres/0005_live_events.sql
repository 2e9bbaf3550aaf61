-- On PostgreSQL, live updates travel by NOTIFY on the channel `secrets_console_live`, sent in
-- the transaction that changed a status and delivered on commit to every replica. Nothing is
-- stored; this migration keeps the two engines' version numbers in step.
SELECT 1;
