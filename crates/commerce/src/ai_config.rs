//! ai_config (in progress)
