//! `docs/` must be what the schemas and `examples/` render to.
//! Regenerate with `UPDATE_DOCS=1 cargo test --test integration docs_`.

use std::path::Path;

#[test]
fn docs_are_generated_from_the_schema_and_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rendered = terraform_provider_entra::docs::render_all(root);
    if std::env::var("UPDATE_DOCS").as_deref() == Ok("1") {
        for (path, text) in &rendered {
            let target = root.join(path);
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(target, text).unwrap();
        }
    }
    let mut stale = Vec::new();
    for (path, text) in &rendered {
        if std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str()) {
            stale.push(path.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "docs are stale: {stale:?}. Run `UPDATE_DOCS=1 cargo test --test integration docs_` and commit docs/."
    );
    for expected in [
        "docs/index.md",
        "docs/resources/group_license_assignment.md",
        "docs/data-sources/subscribed_skus.md",
        "docs/actions/user_license_reprocess.md",
    ] {
        assert!(rendered.contains_key(expected), "{expected}");
    }
    let resource = &rendered["docs/resources/group_license_assignment.md"];
    assert!(resource.contains("## Import") && resource.contains("terraform import entra_group_license_assignment"));
    assert!(resource.contains("- `group_id` (String) Object ID"));
}
