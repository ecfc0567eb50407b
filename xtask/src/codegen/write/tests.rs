//! The writer: `--check` names every stale, missing and orphaned file.

use std::fs;

use crate::codegen::{write_or_check, Output, GENERATED_DIR};
use crate::testing::*;

#[test]
fn check_reports_stale_missing_and_orphan_files() {
    let s = Set::empty("check_reports_stale_missing_and_orphan_files");
    let generated = s.root.join(GENERATED_DIR);
    fs::create_dir_all(&generated).unwrap();
    fs::write(generated.join("mod.rs"), "// mod\n").unwrap();
    fs::write(generated.join("v3_6.rs"), "// old\n").unwrap();
    fs::write(generated.join("v3_5.rs"), "// orphan\n").unwrap();
    let rel = |name: &str| std::path::Path::new(GENERATED_DIR).join(name);
    let out: Output = [
        (rel("mod.rs"), "// mod\n".to_owned()),
        (rel("v3_6.rs"), "// new\n".to_owned()),
        (rel("v3_7.rs"), "// added\n".to_owned()),
    ]
    .into_iter()
    .collect();

    let problems = write_or_check(&s.root, &out, true).expect_err("the tree is not up to date");
    let shown = |name: &str| rel(name).display().to_string();
    let expected = [
        format!("{} is stale", shown("v3_6.rs")),
        format!("{} is missing", shown("v3_7.rs")),
        format!("{} is an orphan", shown("v3_5.rs")),
    ];
    for e in &expected {
        assert!(
            problems.iter().any(|p| p.contains(e.as_str())),
            "`{e}` is not reported: {problems:#?}"
        );
    }
    assert_eq!(problems.len(), 3, "{problems:#?}");
    // Checking changes nothing.
    assert_eq!(fs::read_to_string(generated.join("v3_6.rs")).unwrap(), "// old\n");
    assert!(generated.join("v3_5.rs").exists());
    assert!(!generated.join("v3_7.rs").exists());

    // Writing fixes all three; then the check passes.
    assert_eq!(write_or_check(&s.root, &out, false), Ok(3));
    assert_eq!(fs::read_to_string(generated.join("v3_6.rs")).unwrap(), "// new\n");
    assert!(!generated.join("v3_5.rs").exists());
    assert_eq!(write_or_check(&s.root, &out, true), Ok(0));
}
