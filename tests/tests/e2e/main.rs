//! End-to-end tests: one binary, one module per concern.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a panic is the failure report"
)]

mod activity;
mod architecture;
mod auth;
mod bad_input;
mod bad_times_and_subjects;
mod behavior;
mod catalog;
mod commerce;
mod crash;
mod cross_tenant;
mod decisions;
mod docs;
mod edge;
mod enforcement;
mod fault_isolation;
mod faults;
mod isolation;
mod job_queue;
mod live;
mod live_access;
mod live_caps;
mod load;
mod migrations;
mod moderation;
mod notifications;
mod query_controls;
mod quotas;
mod replicas;
mod reports;
mod roles;
mod sanctions;
mod schema_drift;
mod schema_owners;
mod seller_privacy;
mod sms_codes;
mod tenants;
mod trust;
mod trust_gates;
mod trust_lifecycle;
mod twilio_callbacks;
