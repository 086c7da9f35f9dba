-- The portal's PostgreSQL roles in production (docs/reliability.md). Run once as a superuser, with psql variables:
--   psql -v db=portal -v owner_password="'...'" -v app_password="'...'" -f scripts/ops/db_roles.sql
-- portal_owner owns the schema and runs the migrations (`flask db upgrade`, with DATABASE_URL naming it);
-- portal_app is what the web servers and workers connect as: it reads and writes the data, adds to the audit log,
-- and can neither change nor delete an audit entry, nor alter the schema, nor disable a trigger (not the owner).

CREATE ROLE portal_owner LOGIN PASSWORD :owner_password;
CREATE ROLE portal_app LOGIN PASSWORD :app_password;
ALTER DATABASE :db OWNER TO portal_owner;
\connect :db
ALTER SCHEMA public OWNER TO portal_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO portal_app;

-- What exists now (after the migrations ran as portal_owner) ...
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO portal_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO portal_app;
-- ... and every table and sequence later migrations create.
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO portal_app;
ALTER DEFAULT PRIVILEGES FOR ROLE portal_owner IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO portal_app;

-- The audit log: read and append only. (The trigger of migration 0018 refuses UPDATE, DELETE and TRUNCATE even to
-- the owner; this takes the privileges away as well, so that the refusal does not rest on one mechanism.)
REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM portal_app;
