//! Properties of the title extractor, on generated input: it never panics,
//! whatever the bytes, and on generated documents it agrees with a simple
//! reference (the text put in, entity-escaped on the way in, white space
//! collapsed on the way out), whatever the tag case, attributes and decoys.

use fetch_core::extract_title;
use proptest::prelude::*;

/// Escapes text the way a page author must inside `<title>`.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What `document.title` gives for that text: ASCII white space collapsed.
fn reference(text: &str) -> String {
    text.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

fn tag_name() -> impl Strategy<Value = String> {
    // "title" in any mix of upper and lower case.
    proptest::collection::vec(any::<bool>(), 5).prop_map(|upper| {
        "title"
            .chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_any_text(input in ".{0,400}") {
        let _ = extract_title(&input);
    }

    #[test]
    fn never_panics_on_tag_soup(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<title>".to_owned()), Just("</title>".to_owned()), Just("<svg>".to_owned()),
                Just("</svg>".to_owned()), Just("<head>".to_owned()), Just("<body>".to_owned()),
                Just("&amp;".to_owned()), Just("&#x0;".to_owned()), Just("&#xD800;".to_owned()),
                Just("<!--".to_owned()), Just("<![CDATA[".to_owned()), Just("<".to_owned()),
                "[a-z \\t\\n]{0,8}",
            ],
            0..40,
        )
    ) {
        let _ = extract_title(&parts.concat());
    }

    #[test]
    fn agrees_with_the_reference_on_generated_pages(
        text in "[a-zA-Z0-9 \\t\\n&<>\"'é☺.,-]{0,60}",
        tag in tag_name(),
        attributes in prop_oneof![Just(""), Just(" lang=\"en\""), Just(" id=t class='x y'")],
        svg_decoy in any::<bool>(),
        body_text in "[a-z ]{0,30}",
    ) {
        let decoy = if svg_decoy { "<svg><title>decoy</title></svg>" } else { "" };
        let page = format!(
            "<!doctype html><html><head><meta charset=utf-8><{tag}{attributes}>{}</{tag}></head>\
             <body>{decoy}<p>{body_text}</p></body></html>",
            escape(&text)
        );
        prop_assert_eq!(extract_title(&page), Some(reference(&text)));
    }

    #[test]
    fn a_title_only_inside_svg_is_no_title(text in "[a-z ]{1,20}") {
        let page = format!("<html><body><svg><title>{text}</title></svg></body></html>");
        prop_assert_eq!(extract_title(&page), None);
    }
}
