//! The docs hold what the code and the data say: every relative link in
//! README.md and `docs/` resolves (the file, and the heading it points at),
//! and the README's results block is exactly what `compare --render`
//! draws from the committed run it names, so a figure edited by hand, or a
//! run replaced without drawing the block again, fails here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use async_fetch::compare::{readme, render};
use pulldown_cmark::{Event, Parser, Tag, TagEnd};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every Markdown page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("docs/ is readable") {
            let path = entry.expect("a docs/ entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                pages.push(path);
            }
        }
    }
    pages.sort();
    pages
}

/// GitHub's anchor for a heading: lower case, punctuation dropped but `-`
/// and `_`, spaces made `-`; a repeated one gets `-1`, `-2`, ...
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut heading: Option<String> = None;
    for event in Parser::new(markdown) {
        match event {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(text) | Event::Code(text) => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&text);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let slug: String = text
                    .trim()
                    .to_lowercase()
                    .chars()
                    .filter(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
                    .map(|c| if c == ' ' { '-' } else { c })
                    .collect();
                let mut unique = slug.clone();
                let mut n = 0;
                while out.contains(&unique) {
                    n += 1;
                    unique = format!("{slug}-{n}");
                }
                out.insert(unique);
            }
            _ => {}
        }
    }
    out
}

/// Every link target in `markdown` (not images).
fn links(markdown: &str) -> Vec<String> {
    Parser::new(markdown)
        .filter_map(|event| match event {
            Event::Start(Tag::Link { dest_url, .. }) => Some(dest_url.into_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_relative_link_in_the_docs_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).expect("a page");
        let here = page.parent().expect("a page's folder");
        for link in links(&text) {
            if link.contains("://") || link.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if path.is_empty() {
                page.clone()
            } else {
                here.join(path)
            };
            if !target.exists() {
                broken.push(format!("{}: {link}: no such file", page.display()));
                continue;
            }
            if !anchor.is_empty() {
                let md = std::fs::read_to_string(&target).unwrap_or_default();
                if !anchors(&md).contains(anchor) {
                    broken.push(format!("{}: {link}: no such heading", page.display()));
                }
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the parser reading the pages?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn a_broken_link_and_a_missing_heading_are_seen() {
    // The checker itself: a heading's anchor as GitHub makes it.
    let md = "# Open loop: `load --rate`\n\n## Twice\n\n## Twice\n";
    let found = anchors(md);
    for anchor in ["open-loop-load---rate", "twice", "twice-1"] {
        assert!(found.contains(anchor), "{anchor}: {found:?}");
    }
    assert_eq!(
        links("see [a](docs/a.md#b) and [c](https://x.y)"),
        ["docs/a.md#b", "https://x.y"]
    );
}

/// The committed run the README's block names: the folder of the results.md
/// its first line links to.
fn named_run(block: &str) -> PathBuf {
    let link = links(block)
        .into_iter()
        .find(|l| l.ends_with("results.md"))
        .expect("the block's first line links to its run's results.md");
    let page = root().join(link);
    page.parent().expect("a run folder").to_owned()
}

#[test]
fn the_readme_results_block_is_drawn_from_the_committed_run() {
    let text = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let block = readme::current_block(&text).expect("README.md has its results block");
    let dir = named_run(block);
    let results = render::read(&dir).expect("the committed run's results.json");
    let link = dir
        .join("results.md")
        .strip_prefix(root())
        .map(Path::to_path_buf)
        .expect("the run is inside the repository");
    let drawn = readme::block(&results, &link.display().to_string());
    assert!(
        block == drawn,
        "README.md's results block differs from what `compare --render {} --readme README.md` \
         draws; draw it again instead of editing it.\nREADME:\n{block}\ndrawn:\n{drawn}",
        dir.display()
    );
    // Every combination of the registry has its row.
    for combo in async_fetch::combos::COMBINATIONS {
        assert!(
            block.contains(&format!("| {combo} |")),
            "no row for {combo}:\n{block}"
        );
    }
}
