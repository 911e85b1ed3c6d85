ALTER TABLE violations DROP COLUMN evidence_id;
ALTER TABLE moderation_results DROP COLUMN evidence_id;
DROP TABLE statements_of_reasons;
DROP TABLE decision_evidence;
