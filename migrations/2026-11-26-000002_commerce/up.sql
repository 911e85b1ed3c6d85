-- Commerce entities of a tenant. Every table here:
--  * has tenant_id NOT NULL referencing tenants and a primary key leading with it,
--  * references other tenant tables through (tenant_id, id), so no row can point
--    into another tenant, and the schema can be distributed by tenant_id,
--  * has row-level security ENABLED and FORCED with one policy (USING and WITH CHECK)
--    on the transaction-local setting app.tenant_id.

CREATE TABLE users (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    subject text NOT NULL CHECK (char_length(subject) BETWEEN 1 AND 255),
    email text CHECK (char_length(email) <= 320),
    display_name text CHECK (char_length(display_name) <= 200),
    roles text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, subject)
);
COMMENT ON TABLE users IS 'People of a tenant, created from the identity token on their first request.';

CREATE TABLE seller_profiles (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    store_name text NOT NULL CHECK (char_length(store_name) BETWEEN 1 AND 200),
    contact_email text CHECK (char_length(contact_email) <= 320),
    contact_phone text CHECK (char_length(contact_phone) <= 32),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 5000),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
COMMENT ON TABLE seller_profiles IS 'A user''s store; at most one per user.';

CREATE TABLE products (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    seller_id uuid NOT NULL,
    title text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    price_minor bigint NOT NULL CHECK (price_minor >= 0),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('draft', 'active', 'archived', 'deleted')),
    storage_bytes bigint NOT NULL DEFAULT 0 CHECK (storage_bytes >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id)
);
COMMENT ON COLUMN products.status IS 'deleted is a soft delete: the listing is kept as evidence but no longer served.';
COMMENT ON COLUMN products.storage_bytes IS 'Bytes this listing stores, counted against the tenant''s storage quota.';
CREATE INDEX products_seller_idx ON products (tenant_id, seller_id, id DESC);
CREATE INDEX products_status_idx ON products (tenant_id, status, id DESC);

CREATE TABLE orders (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    buyer_id uuid NOT NULL,
    seller_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'disputed', 'refunded')),
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    total_minor bigint NOT NULL CHECK (total_minor >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, buyer_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id)
);
CREATE INDEX orders_buyer_idx ON orders (tenant_id, buyer_id, id DESC);
CREATE INDEX orders_seller_idx ON orders (tenant_id, seller_id, id DESC);
CREATE INDEX orders_status_idx ON orders (tenant_id, status, id DESC);

CREATE TABLE order_items (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    order_id uuid NOT NULL,
    product_id uuid NOT NULL,
    title text NOT NULL,
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX order_items_order_idx ON order_items (tenant_id, order_id);
CREATE INDEX order_items_product_idx ON order_items (tenant_id, product_id);

CREATE TABLE conversations (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    buyer_id uuid NOT NULL,
    seller_id uuid NOT NULL,
    product_id uuid,
    subject text NOT NULL DEFAULT '' CHECK (char_length(subject) <= 200),
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, buyer_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
CREATE INDEX conversations_buyer_idx ON conversations (tenant_id, buyer_id, id DESC);
CREATE INDEX conversations_seller_idx ON conversations (tenant_id, seller_id, id DESC);

CREATE TABLE messages (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    conversation_id uuid NOT NULL,
    author_kind text NOT NULL CHECK (author_kind IN ('user', 'assistant', 'system')),
    author_id uuid,
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, conversation_id) REFERENCES conversations (tenant_id, id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id),
    CHECK (author_kind <> 'user' OR author_id IS NOT NULL)
);
COMMENT ON TABLE messages IS 'Conversation history: buyer-seller chat and AI assistant turns.';
CREATE INDEX messages_conversation_idx ON messages (tenant_id, conversation_id, id);

CREATE TABLE reviews (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id uuid NOT NULL,
    author_id uuid NOT NULL,
    order_id uuid NOT NULL,
    seller_id uuid NOT NULL,
    product_id uuid,
    rating smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body text NOT NULL DEFAULT '' CHECK (char_length(body) <= 5000),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE NULLS NOT DISTINCT (tenant_id, order_id, product_id),
    FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id),
    FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
    FOREIGN KEY (tenant_id, seller_id) REFERENCES seller_profiles (tenant_id, id),
    FOREIGN KEY (tenant_id, product_id) REFERENCES products (tenant_id, id)
);
COMMENT ON TABLE reviews IS 'A buyer''s review of a product (product_id set) or of a seller (product_id null) from one order.';
CREATE INDEX reviews_seller_idx ON reviews (tenant_id, seller_id, id DESC);
CREATE INDEX reviews_product_idx ON reviews (tenant_id, product_id, id DESC);

CREATE TABLE ai_config (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    enabled boolean NOT NULL DEFAULT false,
    model text NOT NULL DEFAULT 'default' CHECK (char_length(model) BETWEEN 1 AND 100),
    system_prompt text NOT NULL DEFAULT '' CHECK (char_length(system_prompt) <= 8000),
    temperature real NOT NULL DEFAULT 0.7 CHECK (temperature BETWEEN 0 AND 2),
    max_reply_chars integer NOT NULL DEFAULT 1000 CHECK (max_reply_chars BETWEEN 1 AND 10000),
    auto_reply boolean NOT NULL DEFAULT false,
    blocked_topics text[] NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id)
);
COMMENT ON TABLE ai_config IS 'Per-tenant settings of the AI sales assistant; one row per tenant.';

-- Isolation: one policy per table on the transaction-local tenant setting.
-- NULLIF turns the '' left behind after a transaction into NULL, which matches nothing;
-- the sub-select makes PostgreSQL evaluate it once per statement.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'seller_profiles', 'products', 'orders', 'order_items',
                             'conversations', 'messages', 'reviews', 'ai_config']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)) '
            'WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid))', t);
    END LOOP;
END
$$;

-- No DELETE: listings are soft-deleted and everything else is kept as trust-and-safety evidence.
GRANT SELECT, INSERT, UPDATE ON users, seller_profiles, products, orders, order_items,
    conversations, messages, reviews, ai_config TO warden_runtime;
