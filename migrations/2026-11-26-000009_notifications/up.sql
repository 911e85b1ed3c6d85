-- Notifications: what reaches a person, on which channels, and how each
-- delivery went; per-user preferences, per-tenant templates and routing, and
-- the hourly send counts behind the tenant's email and SMS caps. Tenant tables
-- follow the commerce conventions (tenant-leading keys, forced RLS, one policy
-- on app.tenant_id).

CREATE TABLE notifications (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    recipient_id uuid NOT NULL,
    priority text NOT NULL CHECK (priority IN ('urgent', 'high', 'medium', 'low')),
    kind text NOT NULL CHECK (char_length(kind) BETWEEN 1 AND 100),
    category text NOT NULL CHECK (char_length(category) BETWEEN 1 AND 100),
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 300),
    body text NOT NULL CHECK (char_length(body) <= 5000),
    data jsonb NOT NULL DEFAULT '{}',
    event_key text CHECK (char_length(event_key) <= 300),
    security boolean NOT NULL DEFAULT false,
    read_at timestamptz,
    deleted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, recipient_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX notifications_inbox_idx ON notifications (tenant_id, recipient_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX notifications_unread_idx ON notifications (tenant_id, recipient_id) WHERE deleted_at IS NULL AND read_at IS NULL;
CREATE INDEX notifications_dedup_idx ON notifications (tenant_id, recipient_id, event_key, created_at DESC) WHERE event_key IS NOT NULL;
CREATE INDEX notifications_search_idx ON notifications USING gin (search);

CREATE TABLE notification_deliveries (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    notification_id uuid NOT NULL,
    channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'sms')),
    status text NOT NULL CHECK (status IN ('queued', 'sent', 'delivered', 'failed')),
    address text,
    provider_id text,
    error_code text,
    error_message text CHECK (char_length(error_message) <= 2000),
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    delivered_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, notification_id, channel),
    FOREIGN KEY (tenant_id, notification_id) REFERENCES notifications (tenant_id, id)
);
CREATE INDEX notification_deliveries_provider_idx ON notification_deliveries (tenant_id, provider_id) WHERE provider_id IS NOT NULL;

CREATE TABLE notification_preferences (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    user_id uuid NOT NULL,
    channels_off text[] NOT NULL DEFAULT '{}' CHECK (channels_off <@ ARRAY['in_app', 'email', 'sms']),
    categories_off text[] NOT NULL DEFAULT '{}',
    language text NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2}$'),
    phone text CHECK (phone ~ '^\+[0-9]{8,15}$'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE notification_templates (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    kind text NOT NULL,
    language text NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, kind, language),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);

CREATE TABLE notification_settings (
    tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
    config jsonb NOT NULL,
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (tenant_id, updated_by) REFERENCES users (tenant_id, id)
);
COMMENT ON TABLE notification_settings IS 'Routing (priority → channels), sender, caps and de-duplication window of a tenant; tenants without a row use the defaults.';

CREATE TABLE notification_send_counts (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    channel text NOT NULL CHECK (channel IN ('email', 'sms')),
    hour timestamptz NOT NULL,
    sent integer NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, channel, hour)
);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notifications', 'notification_deliveries', 'notification_preferences',
                             'notification_templates', 'notification_settings', 'notification_send_counts']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- Notifications are soft-deleted (deleted_at) by their recipient; templates are
-- configuration and are deleted for real when reset to the built-in ones.
GRANT SELECT, INSERT, UPDATE ON notifications, notification_deliveries, notification_preferences,
    notification_settings, notification_send_counts TO warden_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_templates TO warden_runtime;
