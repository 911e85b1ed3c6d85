//! `warden serve --help` documents the configuration the README documents,
//! and a bad variable stops the binary with a message naming it.

use std::collections::BTreeSet;
use std::process::{Command, Output};

/// The variables of the README's Configuration table.
#[expect(
    clippy::expect_used,
    reason = "a test helper: no table is a failed test"
)]
fn readme_variables() -> BTreeSet<String> {
    let readme = include_str!("../../../README.md");
    let table = readme
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a Configuration section");
    table
        .lines()
        .filter_map(|line| line.strip_prefix('|')?.split('|').next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .filter(|name| {
            name.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_owned)
        .collect()
}

/// `warden <args>` with nothing but `env` in its environment, run where no
/// `.env` is.
#[expect(
    clippy::expect_used,
    reason = "a test helper: a binary that cannot run is a failed test"
)]
fn warden(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_warden"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run warden")
}

#[test]
fn serve_help_lists_every_variable_of_the_readme_and_no_other() {
    let output = warden(&["serve", "--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).expect("UTF-8 help");
    let listed: BTreeSet<String> = help
        .split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split([']', '=']).next())
        .map(str::to_owned)
        .collect();
    let documented = readme_variables();
    assert!(
        documented.len() > 40,
        "README table not found: {documented:?}"
    );
    assert_eq!(
        listed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in --help, missing from the README"
    );
    assert_eq!(
        documented.difference(&listed).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "in the README, missing from --help"
    );
    assert!(help.contains("[default: 1048576]"), "{help}");
}

#[test]
fn a_bad_variable_stops_the_server_naming_it() {
    for (name, value) in [
        ("MAX_BODY_BYTES", "lots"),
        ("WS_QUEUE", "-1"),
        ("AUDIT", "maybe"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("TWILIO_ACCOUNT_SID", "AC123"),
    ] {
        let output = warden(&["serve"], &[(name, value)]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{name}={value} was accepted");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
}

#[test]
fn a_blank_variable_counts_as_unset() {
    let output = warden(
        &["token", "--sub", "a", "--role", "platform_admin"],
        &[
            ("JWT_HS256_SECRET", "a-long-secret"),
            ("MAX_BODY_BYTES", " "),
            ("SMTP_URL", ""),
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
