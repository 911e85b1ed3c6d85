DROP TABLE reports;
DROP TABLE reporters;
DROP TABLE report_settings;

-- Report items have no place in the queue as it was.
DELETE FROM moderation_review_history h
    USING moderation_reviews r
    WHERE h.tenant_id = r.tenant_id AND h.review_id = r.id AND r.source = 'report';
DELETE FROM moderation_reviews WHERE source = 'report';
DROP INDEX moderation_reviews_priority_idx;
DROP INDEX moderation_reviews_one_open;
CREATE UNIQUE INDEX moderation_reviews_one_open ON moderation_reviews (tenant_id, content_type, content_id)
    WHERE status IN ('pending', 'escalated');
ALTER TABLE moderation_reviews
    DROP CONSTRAINT moderation_reviews_report_check,
    DROP CONSTRAINT moderation_reviews_content_type_check,
    ADD CONSTRAINT moderation_reviews_content_type_check
        CHECK (content_type IN ('product', 'review', 'message', 'seller_profile')),
    ALTER COLUMN result_id SET NOT NULL,
    DROP COLUMN priority,
    DROP COLUMN source;
