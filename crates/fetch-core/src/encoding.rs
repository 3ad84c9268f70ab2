//! Which character encoding a page is in, decided as a browser decides it.
//!
//! A page is bytes; its `<title>` is text only once those bytes are
//! decoded, and a server can send a page in many encodings. Browsers agree
//! on how to tell which (the HTML standard's "determining the character
//! encoding", with labels resolved by the WHATWG Encoding Standard), and
//! this module follows them, in this order:
//!
//! 1. a byte-order mark (UTF-8, UTF-16LE, UTF-16BE);
//! 2. the `charset` of the `Content-Type` header, when its label is known;
//! 3. a `<meta charset>` or `<meta http-equiv="Content-Type" content=...>`
//!    within the first 1,024 bytes ([`prescan`], the standard's algorithm);
//! 4. with no declaration at all: UTF-8 if the bytes are valid UTF-8,
//!    otherwise windows-1252 (what browsers in most locales fall back to).
//!
//! The decoding itself, and the mapping from labels to encodings (where
//! `iso-8859-1`, `latin1` and `ascii` all mean windows-1252), are
//! `encoding_rs`'s, the implementation Firefox uses. Only the `<meta>`
//! prescan is written here: `encoding_rs` does not parse HTML.
//!
//! # Layout
//! - [`decode_html`]: the four steps above, with [`Decoded`] saying which one decided.
//! - [`prescan`]: step 3, the standard's byte-level scan for a `<meta>` declaration.
//! - [`content_type_charset`]: the `charset` parameter of a `Content-Type` value.

use std::borrow::Cow;

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252, X_USER_DEFINED};

/// How many bytes the `<meta>` prescan looks at, as the standard says.
pub const PRESCAN_BYTES: usize = 1024;

/// A page decoded to text, and how its encoding was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text (borrowed when the bytes were UTF-8 already).
    pub text: Cow<'a, str>,
    /// The encoding used, by its WHATWG name (`"windows-1252"`, `"UTF-8"`).
    pub encoding: &'static str,
    /// Which step decided it.
    pub source: EncodingSource,
}

/// Which of the steps in the module docs chose the encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodingSource {
    /// A byte-order mark at the start of the body.
    ByteOrderMark,
    /// The `charset` parameter of the `Content-Type` header.
    ContentType,
    /// A `<meta>` declaration in the first 1,024 bytes.
    Meta,
    /// No declaration; the bytes are valid UTF-8.
    ValidUtf8,
    /// No declaration; the bytes are not valid UTF-8, so windows-1252.
    Fallback,
}

/// Decodes an HTML `body` served with `content_type` (the header's value)
/// as a browser would: see the module docs for the order of the steps.
///
/// ```
/// use fetch_core::encoding::{EncodingSource, decode_html};
/// // "Café" in ISO-8859-1, which the Encoding Standard reads as windows-1252.
/// let page = decode_html(b"<title>Caf\xe9</title>", Some("text/html; charset=ISO-8859-1"));
/// assert_eq!(page.text, "<title>Café</title>");
/// assert_eq!(page.encoding, "windows-1252");
/// assert_eq!(page.source, EncodingSource::ContentType);
/// ```
pub fn decode_html<'a>(body: &'a [u8], content_type: Option<&str>) -> Decoded<'a> {
    let (encoding, source) = choose(body, content_type);
    // `decode` would sniff a BOM again and let it win; step 1 already did.
    let text = match source {
        EncodingSource::ByteOrderMark => encoding.decode_with_bom_removal(body).0,
        _ => encoding.decode_without_bom_handling(body).0,
    };
    Decoded {
        text,
        encoding: encoding.name(),
        source,
    }
}

/// The encoding and the step that chose it.
fn choose(body: &[u8], content_type: Option<&str>) -> (&'static Encoding, EncodingSource) {
    if let Some((encoding, _)) = Encoding::for_bom(body) {
        return (encoding, EncodingSource::ByteOrderMark);
    }
    if let Some(encoding) = content_type
        .and_then(content_type_charset)
        .and_then(|label| Encoding::for_label(label.as_bytes()))
    {
        return (encoding, EncodingSource::ContentType);
    }
    if let Some(encoding) = prescan(body) {
        return (encoding, EncodingSource::Meta);
    }
    if std::str::from_utf8(body).is_ok() {
        (UTF_8, EncodingSource::ValidUtf8)
    } else {
        (WINDOWS_1252, EncodingSource::Fallback)
    }
}

/// The `charset` parameter of a `Content-Type` value, unquoted, or `None`.
///
/// ```
/// use fetch_core::encoding::content_type_charset;
/// assert_eq!(content_type_charset("text/html; Charset=\"latin1\""), Some("latin1".into()));
/// assert_eq!(content_type_charset("text/html"), None);
/// ```
pub fn content_type_charset(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.split('"').next())
            .unwrap_or(value);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

/// The encoding a `<meta>` element in the first 1,024 bytes of `bytes`
/// declares, by the HTML standard's "prescan a byte stream to determine
/// its encoding": comments and other tags are skipped, attributes are read
/// the way the standard reads them, and a declaration of UTF-16 means
/// UTF-8 (a page that can be read as ASCII this far is not UTF-16).
///
/// ```
/// use fetch_core::encoding::prescan;
/// let page = b"<!-- <meta charset=koi8-r> --><head><meta charset='iso-8859-2'>";
/// assert_eq!(prescan(page).map(|e| e.name()), Some("ISO-8859-2"));
/// let pragma = br#"<meta http-equiv="Content-Type" content="text/html; charset=latin1">"#;
/// assert_eq!(prescan(pragma).map(|e| e.name()), Some("windows-1252"));
/// assert_eq!(prescan(b"<meta content='text/html; charset=latin1'>"), None);
/// ```
pub fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    let mut scan = Scanner {
        bytes: &bytes[..bytes.len().min(PRESCAN_BYTES)],
        pos: 0,
    };
    while scan.pos < scan.bytes.len() {
        let rest = &scan.bytes[scan.pos..];
        if rest.starts_with(b"<!--") {
            // To the end of the first "-->" whose dashes may be those of
            // "<!--" itself ("<!-->" is a whole comment).
            scan.pos = find(&scan.bytes[scan.pos + 2..], b"-->")? + scan.pos + 2 + 2;
        } else if starts_with_ignore_case(rest, b"<meta")
            && rest.get(5).is_some_and(|b| is_space(*b) || *b == b'/')
        {
            scan.pos += 5;
            if let Some(encoding) = scan.meta()? {
                return Some(encoding);
            }
        } else if rest.len() > 1
            && (rest[1].is_ascii_alphabetic()
                || (rest[1] == b'/' && rest.get(2).is_some_and(u8::is_ascii_alphabetic)))
            && rest[0] == b'<'
        {
            // Another tag: skip its name, then its attributes.
            scan.pos += rest
                .iter()
                .position(|b| is_space(*b) || *b == b'>')
                .unwrap_or(rest.len());
            while scan.attribute()?.is_some() {}
        } else if rest.starts_with(b"<!") || rest.starts_with(b"</") || rest.starts_with(b"<?") {
            scan.pos += find(rest, b">")?;
        }
        scan.pos += 1;
    }
    None
}

/// The prescan's position in the bytes it may look at. Each method
/// returns `None` when it runs off the end, which ends the prescan with no
/// answer (the standard's "abort").
struct Scanner<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// The attributes of a `<meta>` tag, from just after its name; what
    /// they declare, if they declare an encoding the standard accepts.
    fn meta(&mut self) -> Option<Option<&'static Encoding>> {
        let mut seen: Vec<Vec<u8>> = Vec::new();
        let mut got_pragma = false;
        // None: no charset seen; Some(false): from `charset`; Some(true):
        // from `content`, which counts only with http-equiv=content-type.
        let mut need_pragma: Option<bool> = None;
        let mut charset: Option<&'static Encoding> = None;
        while let Some((name, value)) = self.attribute()? {
            if seen.contains(&name) {
                continue;
            }
            match name.as_slice() {
                b"http-equiv" if value == b"content-type" => got_pragma = true,
                b"content" if charset.is_none() => {
                    if let Some(encoding) = charset_in_content(&value) {
                        charset = Some(encoding);
                        need_pragma = Some(true);
                    }
                }
                b"charset" => {
                    charset = Encoding::for_label(&value);
                    need_pragma = Some(false);
                }
                _ => {}
            }
            seen.push(name);
        }
        let declared = match need_pragma {
            None => None,
            Some(true) if !got_pragma => None,
            Some(_) => charset,
        };
        Some(declared.map(|encoding| {
            if encoding == UTF_16BE || encoding == UTF_16LE {
                UTF_8
            } else if encoding == X_USER_DEFINED {
                WINDOWS_1252
            } else {
                encoding
            }
        }))
    }

    /// The standard's "get an attribute": the next attribute's name and
    /// value (both lowercased), `Some(None)` at the end of the tag.
    fn attribute(&mut self) -> Option<Option<(Vec<u8>, Vec<u8>)>> {
        while is_space(self.byte()?) || self.byte()? == b'/' {
            self.pos += 1;
        }
        if self.byte()? == b'>' {
            return Some(None);
        }
        let mut name = Vec::new();
        // The name, up to `=`, white space, `/` or `>`.
        loop {
            match self.byte()? {
                b'=' if !name.is_empty() => {
                    self.pos += 1;
                    return self.value(name);
                }
                b if is_space(b) => break,
                b'/' | b'>' => return Some(Some((name, Vec::new()))),
                b => name.push(b.to_ascii_lowercase()),
            }
            self.pos += 1;
        }
        while is_space(self.byte()?) {
            self.pos += 1;
        }
        if self.byte()? != b'=' {
            return Some(Some((name, Vec::new())));
        }
        self.pos += 1;
        self.value(name)
    }

    /// The value after `=`: quoted, or up to white space or `>`.
    fn value(&mut self, name: Vec<u8>) -> Option<Option<(Vec<u8>, Vec<u8>)>> {
        let mut value = Vec::new();
        while is_space(self.byte()?) {
            self.pos += 1;
        }
        match self.byte()? {
            quote @ (b'"' | b'\'') => loop {
                self.pos += 1;
                match self.byte()? {
                    b if b == quote => {
                        self.pos += 1;
                        return Some(Some((name, value)));
                    }
                    b => value.push(b.to_ascii_lowercase()),
                }
            },
            b'>' => return Some(Some((name, value))),
            b => {
                value.push(b.to_ascii_lowercase());
                self.pos += 1;
            }
        }
        loop {
            match self.byte()? {
                b if is_space(b) || b == b'>' => return Some(Some((name, value))),
                b => value.push(b.to_ascii_lowercase()),
            }
            self.pos += 1;
        }
    }
}

/// The standard's "extracting a character encoding from a meta element":
/// the encoding named after `charset=` in a `content` value.
fn charset_in_content(content: &[u8]) -> Option<&'static Encoding> {
    let mut pos = 0;
    loop {
        pos += find_ignore_case(&content[pos..], b"charset")? + b"charset".len();
        let mut at = pos;
        while content.get(at).is_some_and(|b| is_space(*b)) {
            at += 1;
        }
        if content.get(at) != Some(&b'=') {
            // Not `charset=`: look for the next "charset" from here.
            continue;
        }
        at += 1;
        while content.get(at).is_some_and(|b| is_space(*b)) {
            at += 1;
        }
        let rest = &content[at..];
        return match rest.first()? {
            quote @ (b'"' | b'\'') => {
                let end = rest[1..].iter().position(|b| b == quote)?;
                Encoding::for_label(&rest[1..=end])
            }
            _ => {
                let end = rest
                    .iter()
                    .position(|b| is_space(*b) || *b == b';')
                    .unwrap_or(rest.len());
                Encoding::for_label(&rest[..end])
            }
        };
    }
}

/// HTML's ASCII white space as the prescan knows it.
fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn find_ignore_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

fn starts_with_ignore_case(haystack: &[u8], prefix: &[u8]) -> bool {
    haystack
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(bytes: &[u8]) -> Option<&'static str> {
        prescan(bytes).map(Encoding::name)
    }

    #[test]
    fn meta_charset_in_its_many_spellings() {
        for page in [
            &b"<meta charset=iso-8859-2>"[..],
            b"<META CHARSET=\"ISO-8859-2\">",
            b"<meta\tcharset = 'iso-8859-2' >",
            b"<meta/charset=iso-8859-2 />",
            b"<html><head><title>x</title><meta name=x charset=latin2>",
            b"<!doctype html><?xml x?><meta charset=l2>",
        ] {
            assert_eq!(
                name(page),
                Some("ISO-8859-2"),
                "{}",
                String::from_utf8_lossy(page)
            );
        }
    }

    #[test]
    fn http_equiv_needs_both_attributes_in_either_order() {
        let both = br#"<meta content="text/html; charset=windows-1251" http-equiv="content-type">"#;
        assert_eq!(name(both), Some("windows-1251"));
        let upper = br#"<META HTTP-EQUIV="Content-Type" CONTENT="text/html;charset=KOI8-R">"#;
        assert_eq!(name(upper), Some("KOI8-R"));
        let quoted = br#"<meta http-equiv=content-type content='text/html; charset="gbk"; x'>"#;
        assert_eq!(name(quoted), Some("GBK"));
        let without = br#"<meta content="text/html; charset=windows-1251">"#;
        assert_eq!(name(without), None);
        let other = br#"<meta http-equiv="refresh" content="0; charset=windows-1251">"#;
        assert_eq!(name(other), None);
    }

    #[test]
    fn the_first_of_a_repeated_attribute_counts() {
        assert_eq!(name(b"<meta charset=koi8-r charset=gbk>"), Some("KOI8-R"));
        // An unknown label declares nothing; the next <meta> may.
        assert_eq!(
            name(b"<meta charset=no-such><meta charset=gbk>"),
            Some("GBK")
        );
    }

    #[test]
    fn comments_and_attribute_values_are_not_tags() {
        assert_eq!(name(b"<!-- <meta charset=gbk> -->"), None);
        assert_eq!(name(b"<!--><meta charset=gbk>"), Some("GBK"));
        assert_eq!(name(b"<p title='<meta charset=gbk>'>"), None);
        assert_eq!(name(b"<metadata charset=gbk>"), None);
        assert_eq!(name(b"<meta>charset=gbk"), None);
        // An unquoted value runs to white space or `>`: the slash is in it.
        assert_eq!(name(b"<meta charset=gbk/>"), None);
    }

    #[test]
    fn utf_16_and_x_user_defined_are_replaced() {
        assert_eq!(name(b"<meta charset=utf-16le>"), Some("UTF-8"));
        assert_eq!(name(b"<meta charset=utf-16>"), Some("UTF-8"));
        assert_eq!(name(b"<meta charset=x-user-defined>"), Some("windows-1252"));
    }

    #[test]
    fn only_the_first_1024_bytes_are_scanned() {
        let mut page = vec![b' '; PRESCAN_BYTES - 30];
        page.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(name(&page), Some("GBK"));
        let mut late = vec![b' '; PRESCAN_BYTES - 10];
        late.extend_from_slice(b"<meta charset=gbk>");
        assert_eq!(name(&late), None);
        // Cut off mid-tag or mid-comment: nothing, and no panic.
        assert_eq!(name(b"<meta charset=\"gbk"), None);
        assert_eq!(name(b"<!-- never closed <meta charset=gbk>"), None);
    }

    #[test]
    fn the_steps_come_in_order() {
        let latin = b"<meta charset=iso-8859-2><title>Caf\xe9</title>";
        // A BOM beats the header, which beats the <meta>.
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice("<title>Café</title>".as_bytes());
        let page = decode_html(&bom, Some("text/html; charset=iso-8859-1"));
        assert_eq!(
            (page.text.as_ref(), page.encoding, page.source),
            (
                "<title>Café</title>",
                "UTF-8",
                EncodingSource::ByteOrderMark
            )
        );
        let page = decode_html(latin, Some("text/html; charset=windows-1251"));
        assert_eq!(
            (page.encoding, page.source),
            ("windows-1251", EncodingSource::ContentType)
        );
        // An unknown header label falls through to the <meta>.
        let page = decode_html(latin, Some("text/html; charset=bogus"));
        assert_eq!(
            (page.encoding, page.source),
            ("ISO-8859-2", EncodingSource::Meta)
        );
        assert!(page.text.ends_with("Café</title>"));
        let page = decode_html(b"<title>Caf\xe9</title>", Some("text/html"));
        assert_eq!(
            (page.text.as_ref(), page.source),
            ("<title>Café</title>", EncodingSource::Fallback)
        );
        let page = decode_html("<title>Café</title>".as_bytes(), None);
        assert_eq!(page.source, EncodingSource::ValidUtf8);
        assert!(matches!(page.text, Cow::Borrowed(_)));
    }

    #[test]
    fn utf_16_with_a_bom_decodes() {
        let mut body = vec![0xff, 0xfe];
        for unit in "<title>Café</title>".encode_utf16() {
            body.extend_from_slice(&unit.to_le_bytes());
        }
        let page = decode_html(&body, Some("text/html"));
        assert_eq!(page.text, "<title>Café</title>");
        assert_eq!(page.encoding, "UTF-16LE");
    }

    #[test]
    fn the_header_charset_is_read_however_written() {
        for (value, want) in [
            ("text/html; charset=utf-8", Some("utf-8")),
            ("text/html;charset=\"ISO-8859-1\"", Some("ISO-8859-1")),
            ("text/html; q=1; CHARSET = latin1 ", Some("latin1")),
            ("text/html; charset=", None),
            ("text/html", None),
        ] {
            assert_eq!(content_type_charset(value).as_deref(), want, "{value}");
        }
    }
}
