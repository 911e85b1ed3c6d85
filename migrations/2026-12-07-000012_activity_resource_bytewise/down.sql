ALTER TABLE activity_log
    ALTER COLUMN resource_type TYPE text COLLATE "default",
    ALTER COLUMN resource_id TYPE text COLLATE "default";
