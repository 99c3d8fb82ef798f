//! The lock: names and sha256 of the upstream files the committed output was made from.
//!
//! Format, one file a line, sorted by name: `<sha256 hex>  <file name>` (like `sha256sum`),
//! after comment lines starting with `#`. Only upstream files are locked: the project's own
//! files (`InputFile::own`) are versioned by git, so both functions skip them.

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::input::InputFile;

/// sha256 of `bytes`, lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The upstream files of the input.
fn upstream(files: &[InputFile]) -> impl Iterator<Item = &InputFile> {
    files.iter().filter(|f| !f.own)
}

/// The lock text for the upstream files of `files`.
pub fn render(files: &[InputFile]) -> String {
    let mut lines: Vec<(String, String)> = upstream(files).map(|f| (f.name.clone(), sha256_hex(&f.bytes))).collect();
    lines.sort();
    let mut out = String::from(
        "# Upstream Canvas spec files the committed generated/ was made from (sha256  name).\n\
         # Written by `cargo xtask gen --update-lock`; checked by every `cargo xtask gen`.\n",
    );
    for (name, hash) in lines {
        out.push_str(&format!("{hash}  {name}\n"));
    }
    out
}

/// Compares the upstream files of `files` with the lock text; the error lists every added, removed or changed file.
pub fn check(lock: &str, files: &[InputFile]) -> Result<(), Error> {
    let mut locked = std::collections::BTreeMap::new();
    for (n, line) in lock.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (hash, name) =
            line.split_once("  ").ok_or_else(|| Error::Lock(format!("line {}: expected `<sha256>  <file>`", n + 1)))?;
        locked.insert(name.to_owned(), hash.to_owned());
    }
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for f in upstream(files) {
        seen.insert(f.name.as_str());
        match locked.get(&f.name) {
            None => problems.push(format!("added:   {}", f.name)),
            Some(h) if *h != sha256_hex(&f.bytes) => problems.push(format!("changed: {}", f.name)),
            Some(_) => {}
        }
    }
    for name in locked.keys() {
        if !seen.contains(name.as_str()) {
            problems.push(format!("removed: {name}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        problems.sort();
        Err(Error::LockMismatch(problems))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_names_every_upstream_file_by_its_hash_and_check_lists_each_difference() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let files = [
            InputFile::upstream("b.json", b"B".to_vec()),
            InputFile::upstream("a.json", b"A".to_vec()),
            InputFile::own("own.json", b"O".to_vec()),
        ];
        let lock = render(&files);
        let lines: Vec<&str> = lock.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines, [format!("{}  a.json", sha256_hex(b"A")), format!("{}  b.json", sha256_hex(b"B"))]);
        check(&lock, &files).unwrap();
        let changed = [
            InputFile::upstream("a.json", b"A2".to_vec()),
            InputFile::upstream("c.json", b"C".to_vec()),
            InputFile::own("own.json", b"changed".to_vec()),
        ];
        match check(&lock, &changed) {
            Err(Error::LockMismatch(problems)) => {
                assert_eq!(problems, ["added:   c.json", "changed: a.json", "removed: b.json"])
            }
            other => panic!("{other:?}"),
        }
        let with_blank = format!("\n   \n{lock}");
        check(&with_blank, &files).expect("blank lines are skipped");
        assert!(matches!(check("nonsense", &files), Err(Error::Lock(_))));
    }
}
