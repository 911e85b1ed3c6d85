DROP TABLE notification_send_counts;
DROP TABLE notification_settings;
DROP TABLE notification_templates;
DROP TABLE notification_preferences;
DROP TABLE notification_deliveries;
DROP TABLE notifications;
