//! The dependency graph is the README's: for every crate in its "Crates"
//! table, `cargo tree -e normal` may show only the Warden crates the row
//! allows, and exactly the heavy dependencies the row lists.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use warden_tests::repo_root;

/// The dependencies counted as heavy: what the README names per crate.
const HEAVY: &[&str] = &[
    "actix-http",
    "actix-web",
    "actix-ws",
    "lettre",
    "ort",
    "redis",
    "reqwest",
    "tokenizers",
];

/// A row of the README's Crates table.
#[derive(Debug)]
struct Row {
    may_depend_on: BTreeSet<String>,
    heavy: BTreeSet<String>,
}

/// The names in a cell ("tenancy, audit", "redis (through quotas)",
/// "(none)"), without their parenthesised remarks.
fn names(cell: &str) -> BTreeSet<String> {
    let mut plain = String::new();
    let mut depth = 0;
    for c in cell.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(',')
        .map(|n| n.trim().trim_matches('`').to_owned())
        .filter(|n| !n.is_empty())
        .collect()
}

/// crate name → its row, from the table under "## Crates".
fn readme_table() -> BTreeMap<String, Row> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README.md");
    let section = readme
        .split("\n## Crates\n")
        .nth(1)
        .expect("README has a Crates section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `warden-")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "a Crates row has four cells: {line}");
        let name = cells[0].trim_matches('`').to_owned();
        let may_depend_on = if cells[2] == "all of the above" {
            rows.keys()
                .map(|k: &String| k.trim_start_matches("warden-").to_owned())
                .collect()
        } else {
            names(cells[2])
        };
        rows.insert(
            name,
            Row {
                may_depend_on,
                heavy: names(cells[3]),
            },
        );
    }
    rows
}

/// The packages in `krate`'s normal-dependency tree (without itself), as
/// `cargo build -p krate` would resolve them: its direct dependencies, and
/// all of them at any depth.
fn tree(krate: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo_root())
        .args([
            "tree",
            "--offline",
            "--locked",
            "-p",
            krate,
            "-e",
            "normal",
            "--prefix",
            "depth",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree -p {krate} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (mut direct, mut all) = (BTreeSet::new(), BTreeSet::new());
    // Each line is the depth, then the package: `1warden-audit v0.1.0 (…)`.
    for line in String::from_utf8(out.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
    {
        let name_at = line
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(line.len());
        let (depth, rest) = line.split_at(name_at);
        let Some(name) = rest.split_whitespace().next() else {
            continue;
        };
        if name == krate {
            continue;
        }
        if depth == "1" {
            direct.insert(name.to_owned());
        }
        all.insert(name.to_owned());
    }
    (direct, all)
}

#[test]
fn crates_follow_the_readme() {
    let table = readme_table();
    let workspace: BTreeSet<String> = std::fs::read_dir(repo_root().join("crates"))
        .expect("crates/")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_string_lossy().into_owned();
            path.join("Cargo.toml")
                .is_file()
                .then(|| format!("warden-{name}"))
        })
        .collect();
    let listed: BTreeSet<String> = table.keys().cloned().collect();
    assert_eq!(
        listed, workspace,
        "the README's Crates table must have one row per crate under crates/"
    );
    let mut wrong = Vec::new();
    for (krate, row) in &table {
        let (direct, all) = tree(krate);
        for dep in direct {
            if let Some(short) = dep.strip_prefix("warden-")
                && !row.may_depend_on.contains(short)
            {
                wrong.push(format!(
                    "{krate} depends on {dep}, which its README row does not allow"
                ));
            }
        }
        let heavy: BTreeSet<String> = all
            .into_iter()
            .filter(|p| HEAVY.contains(&p.as_str()))
            .collect();
        if heavy != row.heavy {
            wrong.push(format!(
                "{krate}: heavy dependencies in its tree are {heavy:?}, its README row says {:?}",
                row.heavy
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the crates and the README's Crates table disagree:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_cells_are_read_without_their_remarks() {
    assert_eq!(
        names("redis (through quotas)"),
        BTreeSet::from(["redis".to_owned()])
    );
    assert_eq!(names("(none)"), BTreeSet::new());
    assert_eq!(
        names("lettre, reqwest (its default feature `delivery`)"),
        BTreeSet::from(["lettre".to_owned(), "reqwest".to_owned()])
    );
}
