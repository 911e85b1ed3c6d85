-- Trust-gated seller features (README "Seller trust"): automated order
-- processing (a store setting) and the seller's own automation rules, both
-- owned by warden-commerce; and the analytics gate split into basic and
-- advanced analytics in saved trust settings.

-- Automated order processing: a paid order of the store is shipped by Warden
-- at once, while the store's level allows the feature.
ALTER TABLE seller_profiles
    ADD COLUMN auto_process_orders boolean NOT NULL DEFAULT false;

-- A store's automation rules: when one of its orders reaches `on_status`, and
-- its total and currency match, Warden moves it to `move_to` (a seller's move
-- from `on_status` in the transition table). They send no text.
CREATE TABLE automation_rules (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    seller_id uuid NOT NULL,
    name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    on_status text NOT NULL CHECK (on_status IN ('paid', 'disputed')),
    move_to text NOT NULL CHECK (move_to IN ('shipped', 'cancelled', 'refunded', 'delivered')),
    max_total_minor bigint CHECK (max_total_minor >= 0),
    currency text CHECK (currency ~ '^[A-Z]{3}$'),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id),
    CHECK ((on_status = 'paid' AND move_to IN ('shipped', 'cancelled', 'refunded'))
        OR (on_status = 'disputed' AND move_to IN ('refunded', 'delivered')))
);
CREATE INDEX automation_rules_seller_idx ON automation_rules (tenant_id, seller_id, on_status, id);
COMMENT ON TABLE automation_rules IS 'A store''s own order automation rules (trust-gated: custom_automation_rules).';

ALTER TABLE automation_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE automation_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON automation_rules
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid));
-- Rules are the seller's settings, not evidence: they may be deleted (the
-- activity log keeps each change).
GRANT SELECT, INSERT, UPDATE, DELETE ON automation_rules TO warden_runtime;

-- `analytics` became `basic_analytics` (today's figures, at the level the
-- tenant chose for them) and `advanced_analytics` (never below that level,
-- nor below its default 2).
UPDATE trust_settings
   SET config = jsonb_set(config, '{features}',
       ((config->'features') - 'analytics')
       || jsonb_build_object(
            'basic_analytics', config->'features'->'analytics',
            'advanced_analytics', GREATEST((config->'features'->>'analytics')::int, 2)))
 WHERE config->'features' ? 'analytics';
