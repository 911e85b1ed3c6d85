DROP FUNCTION activity_log_maintain(integer, integer);
DROP TABLE hub_events;
DROP TABLE platform_activity_log;
DROP TABLE activity_log;
