//! End-to-end tests: one binary, one module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod activity;
mod auth;
mod bad_input;
mod behavior;
mod catalog;
mod commerce;
mod cross_tenant;
mod docs;
mod enforcement;
mod fault_isolation;
mod faults;
mod isolation;
mod live;
mod load;
mod migrations;
mod moderation;
mod notifications;
mod query_controls;
mod quotas;
mod replicas;
mod roles;
mod tenants;
mod trust;
mod trust_lifecycle;
