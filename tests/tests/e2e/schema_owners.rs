//! One owner per table (crates/OWNERS.toml): every table has exactly one
//! owning crate, no crate writes a table it does not own, and each crate's
//! generated schema (its diesel.toml filter) holds exactly what it owns and
//! reads.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use regex::Regex;
use warden_tests::{admin_url, repo_root};

/// A crate's entry in OWNERS.toml.
#[derive(Debug, Default)]
struct Entry {
    owns: Vec<String>,
    reads: Vec<String>,
}

/// The quoted strings of `key = [ ... ]` (possibly over several lines) in a
/// TOML fragment without comments.
fn string_array(fragment: &str, key: &str) -> Option<Vec<String>> {
    let start = Regex::new(&format!(r"(?m)^\s*{key}\s*=\s*\[")).unwrap();
    let m = start.find(fragment)?;
    let rest = &fragment[m.end()..];
    let body = &rest[..rest.find(']').expect("array is closed")];
    let item = Regex::new(r#""([^"]*)""#).unwrap();
    Some(item.captures_iter(body).map(|c| c[1].to_owned()).collect())
}

fn without_comments(toml: &str) -> String {
    toml.lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n")
}

/// crates/OWNERS.toml: crate name → what it owns and reads. (A small reader
/// for the file's one shape: `[crate]` sections with `owns` and `reads`.)
fn owners() -> BTreeMap<String, Entry> {
    let text = std::fs::read_to_string(repo_root().join("crates/OWNERS.toml")).unwrap();
    let text = without_comments(&text);
    let section = Regex::new(r"(?m)^\[(\w+)\]\s*$").unwrap();
    let heads: Vec<_> = section.captures_iter(&text).collect();
    let mut map = BTreeMap::new();
    for (i, head) in heads.iter().enumerate() {
        let whole = head.get(0).unwrap();
        let end = heads
            .get(i + 1)
            .map_or(text.len(), |h| h.get(0).unwrap().start());
        let body = &text[whole.end()..end];
        let name = head[1].to_owned();
        let entry = Entry {
            owns: string_array(body, "owns").unwrap_or_else(|| panic!("[{name}] has no owns")),
            reads: string_array(body, "reads").unwrap_or_else(|| panic!("[{name}] has no reads")),
        };
        assert!(map.insert(name.clone(), entry).is_none(), "[{name}] twice");
    }
    assert!(!map.is_empty(), "OWNERS.toml lists no crates");
    map
}

/// table → owning crate; panics on a table with two owners.
fn owner_of(owners: &BTreeMap<String, Entry>) -> BTreeMap<String, String> {
    let mut by_table = BTreeMap::new();
    for (krate, entry) in owners {
        for t in &entry.owns {
            if let Some(other) = by_table.insert(t.clone(), krate.clone()) {
                panic!("table {t} has two owners in OWNERS.toml: {other} and {krate}");
            }
        }
    }
    by_table
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// (crate, table, file) for every write statement in the crates' sources:
/// Diesel's `insert_into(t::table`, `update(t::table`, `delete(t::table`, and
/// SQL's `INSERT INTO t`, `UPDATE t`, `DELETE FROM t`. Names that are not
/// tables (`DO UPDATE SET`, `FOR UPDATE SKIP`) are dropped by the caller.
fn writes() -> Vec<(String, String, String)> {
    let pattern = Regex::new(
        r"\b(?:insert_into|update|delete)\(\s*(\w+)::table\b|\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:public\.)?(\w+)",
    )
    .unwrap();
    let root = repo_root();
    let mut found = Vec::new();
    for dir in std::fs::read_dir(root.join("crates")).unwrap() {
        let dir = dir.unwrap().path();
        let src = dir.join("src");
        if !src.is_dir() {
            continue;
        }
        let krate = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            // Comments may name writes they do not make, and a unit-test
            // module (last in its file) seeds other crates' rows as fixtures.
            let code: String = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .map(|l| {
                    if l.trim_start().starts_with("//") {
                        ""
                    } else {
                        l
                    }
                })
                .collect::<Vec<_>>()
                .join("\n");
            for c in pattern.captures_iter(&code) {
                let table = c.get(1).or(c.get(2)).unwrap().as_str().to_owned();
                let rel = file.strip_prefix(&root).unwrap().display().to_string();
                found.push((krate.clone(), table, rel));
            }
        }
    }
    found
}

#[test]
fn no_crate_writes_a_table_it_does_not_own() {
    let owner = owner_of(&owners());
    let writes = writes();
    // The scan must see writes at all, or it checks nothing.
    assert!(
        writes
            .iter()
            .any(|(k, t, _)| k == "commerce" && t == "products"),
        "the scan found no write of commerce to products"
    );
    let mut broken = BTreeSet::new();
    for (krate, table, file) in writes {
        let Some(own) = owner.get(&table) else {
            continue; // not a table (`DO UPDATE SET`), or a partition
        };
        if *own == krate {
            continue;
        }
        broken.insert(format!(
            "{file}: crate {krate} writes {table}, owned by {own} (ask {own} through a public function)"
        ));
    }
    assert!(
        broken.is_empty(),
        "writes to other crates' tables (crates/OWNERS.toml):\n{}",
        broken.into_iter().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn each_generated_schema_holds_what_its_crate_owns_and_reads() {
    let owners = owners();
    let owner = owner_of(&owners);
    let root = repo_root();
    let mut checked = 0;
    for (krate, entry) in &owners {
        for t in &entry.reads {
            assert!(
                owner.contains_key(t),
                "[{krate}] reads {t}, which no crate owns"
            );
            assert!(!entry.owns.contains(t), "[{krate}] both owns and reads {t}");
        }
        let config = root.join("crates").join(krate).join("diesel.toml");
        let text = std::fs::read_to_string(&config)
            .unwrap_or_else(|e| panic!("{}: {e}", config.display()));
        let filter: BTreeSet<String> = string_array(&without_comments(&text), "only_tables")
            .unwrap_or_else(|| panic!("{}: no only_tables", config.display()))
            .into_iter()
            .map(|r| {
                r.strip_prefix('^')
                    .and_then(|r| r.strip_suffix('$'))
                    .unwrap_or_else(|| panic!("{}: {r} is not anchored (^name$)", config.display()))
                    .to_owned()
            })
            .collect();
        let expected: BTreeSet<String> = entry.owns.iter().chain(&entry.reads).cloned().collect();
        assert_eq!(
            filter,
            expected,
            "{}: only_tables must be the owns and reads of [{krate}] in crates/OWNERS.toml",
            config.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} crates checked");
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_table_has_one_owner() {
    let owner = owner_of(&owners());
    let mut conn = AsyncPgConnection::establish(&admin_url()).await.unwrap();
    // Tables and partitioned tables of the public schema, not their partitions.
    let tables: Vec<TableName> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND c.relname <> '__diesel_schema_migrations'
         ORDER BY 1",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert!(tables.len() >= 30, "{} tables", tables.len());
    let in_db: BTreeSet<String> = tables.into_iter().map(|t| t.name).collect();
    let listed: BTreeSet<String> = owner.keys().cloned().collect();
    let unowned: Vec<_> = in_db.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&in_db).collect();
    assert!(
        unowned.is_empty(),
        "tables without an owner in crates/OWNERS.toml: {unowned:?}"
    );
    assert!(
        gone.is_empty(),
        "crates/OWNERS.toml lists tables the migrations do not create: {gone:?}"
    );
}
