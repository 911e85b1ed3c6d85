-- Tenants are the unit of isolation. This table is not tenant-scoped: the
-- platform reads it to route requests, so it has no row-level security.
-- The runtime login role is a member of `warden_runtime`, which `warden migrate`
-- creates before running migrations; grants go to that group role only.
CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE tenants IS 'Sellers'' marketplaces (tenants); every tenant-scoped row names one.';

CREATE INDEX tenants_created_idx ON tenants (created_at DESC, id DESC);

GRANT SELECT, INSERT, UPDATE ON tenants TO warden_runtime;
