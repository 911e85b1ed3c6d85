DROP TABLE trust_settings;
DROP TABLE seller_verifications;
DROP TABLE trust_history;
DROP TABLE seller_trust;
