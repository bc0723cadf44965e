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
        "docs/list-resources/group_license_assignment.md",
    ] {
        assert!(rendered.contains_key(expected), "{expected}");
    }
    let resource = &rendered["docs/resources/group_license_assignment.md"];
    assert!(resource.contains("## Import") && resource.contains("terraform import entra_group_license_assignment"));
    assert!(resource.contains("- `group_id` (String) Object ID"));
}

/// Markdown files of the repository (build output, dependencies and hidden folders aside).
fn markdown_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
        let name = entry.file_name().unwrap().to_string_lossy().into_owned();
        if entry.is_dir() {
            if !name.starts_with('.') && !["target", "dist", "try", "node_modules"].contains(&name.as_str()) {
                markdown_files(&entry, found);
            }
        } else if name.ends_with(".md") {
            found.push(entry);
        }
    }
}

/// Relative link targets in `text`: `[..](path)` and `![..](path)` outside code, and code
/// spans that start with `./` or `../` (paths written out in prose).
fn relative_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Split into prose and code spans (odd pieces are code).
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 1 {
                if piece.starts_with("./") || piece.starts_with("../") {
                    targets.push(piece.to_owned());
                }
                continue;
            }
            let mut rest = piece;
            while let Some(at) = rest.find("](") {
                let after = &rest[at + 2..];
                let Some(end) = after.find(')') else { break };
                let target = after[..end].split_whitespace().next().unwrap_or("");
                if !target.is_empty()
                    && !target.starts_with('#')
                    && !target.contains("://")
                    && !target.starts_with("mailto:")
                {
                    targets.push(target.split('#').next().unwrap().to_owned());
                }
                rest = &after[end..];
            }
        }
    }
    targets
}

#[test]
fn docs_no_markdown_file_links_to_a_missing_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    files.sort();
    assert!(files.iter().any(|f| f.ends_with("README.md")), "{files:?}");
    let mut dangling = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for target in relative_targets(&text) {
            let resolved = file.parent().unwrap().join(&target);
            let inside = resolved
                .canonicalize()
                .is_ok_and(|p| p.starts_with(root.canonicalize().unwrap()));
            if !inside {
                dangling.push(format!("{}: {target}", file.strip_prefix(root).unwrap().display()));
            }
        }
    }
    assert!(
        dangling.is_empty(),
        "links to paths that do not exist in the repository:\n{}",
        dangling.join("\n")
    );
}

#[test]
fn docs_link_check_finds_links_and_ignores_code() {
    let text = "See [the docs](docs/index.md#x) and ![logo](img/a.png \"t\"), [web](https://example.com), \
                [anchor](#here), `../outside.md` and `[not](a-link)`.\n```\n[code](block.md)\n```\n";
    assert_eq!(relative_targets(text), ["docs/index.md", "img/a.png", "../outside.md"]);
}

#[test]
fn docs_readme_quotes_the_try_script_and_the_permissions_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let script = std::fs::read_to_string(root.join("examples/try-with-emulator.sh")).unwrap();
    // From step 1 on, the script is what the README shows (tests/e2e_try.rs runs it).
    let body = &script[script.find("# 1. ").expect("step 1 in the script")..];
    assert!(
        readme.contains(&format!("```sh\n{body}```")),
        "README.md must quote examples/try-with-emulator.sh from `# 1. ` to its end verbatim"
    );
    let table_start = terraform_provider_entra::docs::PERMISSIONS.find("| for |").unwrap();
    let table_end = terraform_provider_entra::docs::PERMISSIONS
        .find("\n\nMicrosoft has noted")
        .unwrap();
    let table = &terraform_provider_entra::docs::PERMISSIONS[table_start..table_end];
    assert!(
        readme.contains(table),
        "README.md's permissions table is the one in docs/index.md"
    );
    // The provider blocks and the pipeline snippet the README shows are the provider page's
    // (generated from examples/ that `terraform validate` checks).
    let index = std::fs::read_to_string(root.join("docs/index.md")).unwrap();
    let fenced: Vec<&str> = readme
        .split("```")
        .skip(1)
        .step_by(2)
        .filter(|b| b.starts_with("terraform\n") || b.starts_with("yaml\n"))
        .collect();
    assert!(fenced.len() >= 3, "{fenced:?}");
    for block in fenced {
        assert!(
            index.contains(&format!("```{block}```")),
            "README block not in docs/index.md:\n{block}"
        );
    }
}

#[test]
fn docs_provider_page_has_authentication_per_method_and_nested_schemas() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rendered = terraform_provider_entra::docs::render_all(root);
    let index = &rendered["docs/index.md"];
    for heading in [
        "## Authentication",
        "### Azure CLI",
        "### Service principal with a client secret",
        "### Service principal with a client certificate",
        "### OIDC",
        "### Managed identity",
        "## Permissions",
        "| assigning group licences | `LicenseAssignment.ReadWrite.All` |",
    ] {
        assert!(index.contains(heading), "{heading} in docs/index.md");
    }
    assert!(index.find("## Authentication") < index.find("## Schema"));
    // Every attribute of object type links to its nested schema section, and it exists.
    for (path, page) in &rendered {
        for line in page
            .lines()
            .filter(|l| l.contains("of Object)") || l.contains("(Object)"))
        {
            let anchor = line
                .split("(#")
                .nth(1)
                .and_then(|rest| rest.split(')').next())
                .unwrap_or_else(|| panic!("{path}: no nested schema link in {line:?}"));
            assert!(page.contains(&format!("<a id=\"{anchor}\"></a>")), "{path}: {anchor}");
        }
    }
    let skus = &rendered["docs/data-sources/subscribed_skus.md"];
    assert!(skus.contains("### Nested Schema for `skus`"), "{skus}");
    assert!(skus.contains("### Nested Schema for `skus.units`"), "{skus}");
}

/// The guides show only HCL that the tests run or validate: every ```terraform block of
/// `docs/guides/` is one of the files under `examples/guides/` (run by `e2e_adoption` and
/// `e2e_moved_from_azuread`, validated by `e2e_examples`) or a part of one, and every such
/// file has a block of its own in a guide (contained in no other file).
#[test]
fn docs_guides_show_only_tested_hcl() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let direct = std::fs::read_to_string(root.join("docs/guides/direct-to-group-licensing.md")).unwrap();
    assert!(
        direct.starts_with(
            "---\npage_title: \"Moving from direct to group-based licensing - terraform-provider-entra\"\nsubcategory: \"Guides\"\n"
        ),
        "the guide's front matter"
    );
    let mut examples: Vec<(String, String)> = Vec::new();
    let mut stack = vec![root.join("examples/guides")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()) {
            if entry.is_dir() {
                stack.push(entry);
            } else if entry.extension().is_some_and(|e| e == "tf") {
                let name = entry.strip_prefix(root).unwrap().display().to_string();
                examples.push((name, std::fs::read_to_string(&entry).unwrap()));
            }
        }
    }
    examples.sort();
    assert!(examples.len() >= 9, "{examples:?}");

    let mut blocks: Vec<(String, String)> = Vec::new();
    for guide in std::fs::read_dir(root.join("docs/guides"))
        .unwrap()
        .map(|e| e.unwrap().path())
    {
        let mut open: Option<String> = None;
        for line in std::fs::read_to_string(&guide).unwrap().lines() {
            match open.as_mut() {
                None if line.trim_end() == "```terraform" => open = Some(String::new()),
                None => {}
                Some(_) if line.trim_end() == "```" => {
                    blocks.push((guide.display().to_string(), open.take().unwrap_or_default()));
                }
                Some(block) => {
                    block.push_str(line);
                    block.push('\n');
                }
            }
        }
        assert!(
            open.is_none(),
            "{}: a ```terraform block is not closed",
            guide.display()
        );
    }

    let mut own_block = std::collections::BTreeSet::new();
    for (guide, block) in &blocks {
        assert!(!block.trim().is_empty(), "{guide}: an empty ```terraform block");
        let homes: Vec<&str> = examples
            .iter()
            .filter(|(_, text)| text.contains(block.as_str()))
            .map(|(name, _)| name.as_str())
            .collect();
        assert!(
            !homes.is_empty(),
            "{guide}: this ```terraform block is in no file under examples/guides/ (the HCL there is what the tests run; copy it from there):\n{block}"
        );
        if let [home] = homes.as_slice() {
            own_block.insert(*home);
        }
    }
    for (name, _) in &examples {
        assert!(own_block.contains(name.as_str()), "{name} is not shown in any guide");
    }
}
