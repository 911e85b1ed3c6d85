-- The throttle of SMS verification codes counts the codes sent to one number
-- in the last hour across a tenant's stores: phone steps by number and time.
CREATE INDEX seller_verifications_phone_idx
    ON seller_verifications (tenant_id, (evidence ->> 'phone'), created_at)
    WHERE step = 'phone';
