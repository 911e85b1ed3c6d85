//! Each crate's `src/schema.rs` is what `diesel print-schema` makes of the
//! migrated test database with the crate's `diesel.toml`: the generated files
//! are never edited by hand, and never fall behind the migrations.

use std::path::{Path, PathBuf};
use std::process::Command;

use warden_tests::{admin_url, repo_root};

const REGENERATE: &str =
    "regenerate with `just schema` (needs diesel_cli: bash scripts/ensure-tools.sh)";

/// `diesel` on PATH, else where `cargo install` puts it.
fn diesel() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("diesel"))
        .find(|p| p.is_file());
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    on_path
        .or_else(|| {
            cargo_home
                .map(|h| h.join("bin/diesel"))
                .filter(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("diesel_cli is not installed: {REGENERATE}"))
}

/// A line diff of `old` against `new`, enough to see what changed.
fn diff(old: &str, new: &str) -> String {
    let (old, new): (Vec<_>, Vec<_>) = (old.lines().collect(), new.lines().collect());
    // Longest common subsequence table, for the few hundred lines of a schema.
    let mut lcs = vec![vec![0u32; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            i += 1;
            j += 1;
        } else if j < new.len() && (i == old.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{:>4}: {}\n", j + 1, new[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{:>4}: {}\n", i + 1, old[i]));
            i += 1;
        }
    }
    out
}

#[test]
fn committed_schemas_match_the_migrated_database() {
    let root = repo_root();
    let diesel = diesel();
    let mut configs: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path().join("diesel.toml"))
        .filter(|p| p.is_file())
        .collect();
    configs.sort();
    assert!(
        configs.len() >= 9,
        "found {} diesel.toml files",
        configs.len()
    );
    let mut stale = Vec::new();
    for config in &configs {
        let out = Command::new(&diesel)
            .arg("print-schema")
            .arg("--database-url")
            .arg(admin_url())
            .arg("--config-file")
            .arg(config)
            .output()
            .unwrap_or_else(|e| panic!("{} runs: {e}", diesel.display()));
        assert!(
            out.status.success(),
            "diesel print-schema --config-file {}: {}",
            config.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let generated = String::from_utf8(out.stdout).unwrap();
        assert!(
            generated.contains("diesel::table!"),
            "{}: print-schema printed no table",
            config.display()
        );
        let file = config.with_file_name("src/schema.rs");
        let committed = std::fs::read_to_string(&file).unwrap_or_default();
        if committed != generated {
            stale.push(format!(
                "{} differs from `diesel print-schema --config-file {}` (- committed, + generated):\n{}",
                file.strip_prefix(&root).unwrap().display(),
                config.strip_prefix(&root).unwrap().display(),
                diff(&committed, &generated)
            ));
        }
    }
    assert!(stale.is_empty(), "{}\n{REGENERATE}", stale.join("\n"));
}
