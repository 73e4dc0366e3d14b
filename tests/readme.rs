//! The README's Rust examples are doctested through their copies in the crate documentation
//! (`src/lib.rs`, where hidden lines add the `?` wrapper and assertions). This test fails when a
//! README example and its copy drift apart, and holds the README's first analysis, printing
//! included, to 12 lines (issue 10).

/// The fenced blocks of `lines` as (info string, lines).
fn fenced<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(String, Vec<&'a str>)> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Vec<&str>)> = None;
    for line in lines {
        match open.take() {
            None => {
                if let Some(info) = line.strip_prefix("```") {
                    open = Some((info.trim().to_string(), Vec::new()));
                }
            }
            Some((info, body)) if line.trim() == "```" => blocks.push((info, body)),
            Some((info, mut body)) => {
                body.push(line);
                open = Some((info, body));
            }
        }
    }
    blocks
}

#[test]
fn readme_rust_examples_are_doctested_copies_in_the_crate_docs() {
    let readme = fenced(include_str!("../README.md").lines());
    let docs = fenced(
        include_str!("../src/lib.rs")
            .lines()
            .filter_map(|l| l.strip_prefix("//!"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l)),
    );
    let tested: Vec<Vec<&str>> = docs
        .into_iter()
        .filter(|(info, _)| info.is_empty() || info == "rust")
        .map(|(_, body)| {
            body.into_iter()
                .filter(|l| *l != "#" && !l.starts_with("# "))
                .collect()
        })
        .collect();
    let examples: Vec<Vec<&str>> = readme
        .into_iter()
        .filter(|(info, _)| info == "rust")
        .map(|(_, body)| body)
        .collect();
    assert_eq!(examples.len(), 2, "the README's Rust examples");
    for example in &examples {
        assert!(
            tested.contains(example),
            "README example not in the doctested crate docs:\n{}",
            example.join("\n")
        );
    }
    assert!(
        examples[0].len() <= 12,
        "the first analysis takes {} lines",
        examples[0].len()
    );
    assert!(examples[0].iter().any(|l| l.contains("println!")));
}
