DROP TABLE api_usage;
DROP TABLE tenant_usage;
DROP TABLE tenant_limits;
