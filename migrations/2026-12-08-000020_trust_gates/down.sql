UPDATE trust_settings
   SET config = jsonb_set(config, '{features}',
       ((config->'features') - 'basic_analytics' - 'advanced_analytics')
       || jsonb_build_object('analytics', COALESCE(config->'features'->'basic_analytics', '2'::jsonb)))
 WHERE config->'features' ? 'basic_analytics' OR config->'features' ? 'advanced_analytics';

DROP TABLE automation_rules;
ALTER TABLE seller_profiles DROP COLUMN auto_process_orders;
