//! Embeds the `schema/` files (in the workspace, `crates/lc-mock/schema` is a symlink to the
//! workspace's `schema/`; the packaged crate holds a copy), so the mock validates with exactly the schemas the
//! types were generated from, wherever its binary runs.

use std::path::{Path, PathBuf};

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("schema dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn main() {
    // Read at run time: a build script compiled for one checkout can be reused by another (the
    // same package in a shared target directory), and `env!` would point it at the first one.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("schema");
    let root = root.canonicalize().expect("the workspace's schema/ directory");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    walk(&root, &mut files);
    let mut code = String::from("/// Every schema file, by its path under `schema/`.\npub(crate) static FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let rel = file.strip_prefix(&root).expect("under root").to_string_lossy().replace('\\', "/");
        code.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", file.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("schema_files.rs");
    std::fs::write(out, code).expect("write schema_files.rs");
}
