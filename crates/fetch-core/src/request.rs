//! What a client is asked to send: a [`Request`] (method, URL, headers,
//! body), the same for every client.
//!
//! The seed's `get(url)` is the shorthand for the commonest request,
//! [`Request::get`]; the load engine sends whatever the command line said
//! (`-m`, `-H`, `--body`, `-a`), and [`get_following`](crate::get_following)
//! rewrites a request on a redirect as the Fetch standard does.
//!
//! Every adapter sends exactly these headers, plus its own `Host`,
//! `User-Agent` and `Accept` unless the request sets its own
//! ([`Request::sets`]). A body gets a `Content-Length`; no body, none
//! (where the library allows: see the registry's `forced_headers`).
//!
//! Header values may be secrets (an `Authorization`, an API key): nothing
//! here prints them. Reports name the headers ([`Headers::names`]), never
//! their values, and a URL's `user:password@` is taken out of the URL
//! ([`split_credentials`]) and sent as `Authorization: Basic`, so the
//! URL that is printed and sent holds no password.
//!
//! # Layout
//!
//! - [`Headers`]: a request's own headers, in order, parsed from `Name: value`.
//! - [`Request`]: one request as a client sends it; [`Request::get`] for the seed's GET.
//! - [`split_credentials`], [`basic_auth`], [`redact_url`]: a URL's user info, as a header and out of sight.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
pub use http::Method;
pub use http::header::{self, HeaderName, HeaderValue};

/// The headers a request sets itself (`-H`, `-T`, `-a`), in the order
/// given; a name may come more than once.
///
/// ```
/// let mut h = fetch_core::Headers::default();
/// h.push_line("X-Api-Key: s3cret").unwrap();
/// h.push_line("accept: application/json").unwrap();
/// assert_eq!(h.names(), ["x-api-key", "accept"]);
/// assert!(h.contains(&fetch_core::header::ACCEPT));
/// assert!(h.push_line("no colon").unwrap_err().contains("Name: value"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<(HeaderName, HeaderValue)>,
}

impl Headers {
    /// No headers of the request's own.
    pub const fn new() -> Self {
        Headers { list: Vec::new() }
    }

    /// Adds `name: value`.
    pub fn push(&mut self, name: HeaderName, value: HeaderValue) {
        self.list.push((name, value));
    }

    /// Adds a header written as `Name: value` (curl's and oha's `-H`).
    /// The error names the header, never its value.
    pub fn push_line(&mut self, line: &str) -> Result<(), String> {
        // Without a colon the line may be a bare secret: it is not shown.
        let (name, value) = line.split_once(':').ok_or_else(|| {
            "a header is written as \"Name: value\" (this one has no colon)".to_owned()
        })?;
        let name = name.trim();
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            format!("{name:?} is not a header name (letters, digits and -, no spaces)")
        })?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| {
            format!("the value of header {name} is not valid (visible ASCII only, no line breaks)")
        })?;
        self.push(header, value);
        Ok(())
    }

    /// Whether a header of this name is set.
    pub fn contains(&self, name: &HeaderName) -> bool {
        self.list.iter().any(|(n, _)| n == name)
    }

    /// Removes every header of this name.
    pub fn remove(&mut self, name: &HeaderName) {
        self.list.retain(|(n, _)| n != name);
    }

    /// The headers, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.list.iter().map(|(n, v)| (n, v))
    }

    /// The names, in order, lower case (as HTTP/2 writes them): what a
    /// report shows of the headers. Never the values.
    pub fn names(&self) -> Vec<String> {
        self.list
            .iter()
            .map(|(n, _)| n.as_str().to_owned())
            .collect()
    }

    /// No header set.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// No headers: what [`Request::get`] sends of its own.
static NO_HEADERS: Headers = Headers::new();

/// One request as every client sends it.
///
/// ```
/// use fetch_core::{Method, Request};
/// let get = Request::get("http://127.0.0.1:8080/users/1");
/// assert_eq!(get.method, Method::GET);
/// assert!(get.body.is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The method.
    pub method: Method,
    /// The URL, without user info (see [`split_credentials`]).
    pub url: &'a str,
    /// The request's own headers.
    pub headers: &'a Headers,
    /// `Authorization` from the URL's user info, sent unless `headers`
    /// has an `Authorization` of its own.
    pub authorization: Option<HeaderValue>,
    /// The body; empty for none (then no `Content-Length` is sent).
    pub body: Bytes,
    /// Keep the answer's body ([`Response::body`](crate::Response::body));
    /// `false` reads and counts it only (`--parse none`), so a large body
    /// takes no memory. The size limit holds either way.
    pub keep_body: bool,
}

impl<'a> Request<'a> {
    /// `GET url`, no headers or body of its own: the seed's request.
    pub fn get(url: &'a str) -> Self {
        Request {
            method: Method::GET,
            url,
            headers: &NO_HEADERS,
            authorization: None,
            body: Bytes::new(),
            keep_body: true,
        }
    }

    /// The same request to another URL.
    pub fn to<'b>(&self, url: &'b str) -> Request<'b>
    where
        'a: 'b,
    {
        Request {
            url,
            ..self.clone()
        }
    }

    /// Every header of the request's own, `Authorization` from the URL
    /// included: what an adapter adds to its defaults.
    pub fn header_list(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        let url_auth = self
            .authorization
            .as_ref()
            .filter(|_| !self.headers.contains(&header::AUTHORIZATION))
            .map(|v| (&header::AUTHORIZATION, v));
        self.headers.iter().chain(url_auth)
    }

    /// Whether the request sets `name` itself, so the adapter leaves out
    /// its own (`Host`, `User-Agent`, `Accept`).
    pub fn sets(&self, name: &HeaderName) -> bool {
        self.headers.contains(name)
    }

    /// Whether the answer to this request has no body whatever its
    /// `Content-Length` says (`HEAD`).
    pub fn answer_has_no_body(&self) -> bool {
        self.method == Method::HEAD
    }
}

/// `url` without its `user:password@`, and the `Authorization: Basic`
/// that user info means; `None` when the URL has none (the common case,
/// found without parsing). The URL is cut as text, not parsed, so a
/// template's `{id}` stays as it is.
///
/// ```
/// let (url, auth) = fetch_core::split_credentials("http://ann:pw@127.0.0.1:8080/x").unwrap();
/// assert_eq!(url, "http://127.0.0.1:8080/x");
/// assert_eq!(auth, "Basic YW5uOnB3");
/// assert!(fetch_core::split_credentials("http://127.0.0.1/a@b").is_none());
/// ```
pub fn split_credentials(url: &str) -> Option<(String, HeaderValue)> {
    // Every request of a load run asks this: a URL without any `@` (one
    // `memchr`) has no user info, and is not searched further.
    if !url.contains('@') {
        return None;
    }
    let (start, authority) = authority_at(url)?;
    let (info, host) = authority.rsplit_once('@')?;
    let (user, password) = match info.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (info, None),
    };
    let password = password.map(percent_decoded);
    let auth = basic_auth(&percent_decoded(user), password.as_deref());
    let rest = &url[start + authority.len()..];
    Some((format!("{}{host}{rest}", &url[..start]), auth))
}

/// `Authorization: Basic` for `user` and `password` (RFC 7617).
///
/// ```
/// assert_eq!(fetch_core::basic_auth("ann", Some("pw")), "Basic YW5uOnB3");
/// ```
pub fn basic_auth(user: &str, password: Option<&str>) -> HeaderValue {
    let plain = format!("{user}:{}", password.unwrap_or(""));
    let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))
        // Base64 is visible ASCII: this cannot fail.
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// `url` with any password in it replaced by `***`, for printing.
///
/// ```
/// assert_eq!(fetch_core::redact_url("http://ann:pw@h/x"), "http://ann:***@h/x");
/// assert_eq!(fetch_core::redact_url("http://h/x"), "http://h/x");
/// ```
pub fn redact_url(url: &str) -> Cow<'_, str> {
    let Some((start, authority)) = authority_at(url) else {
        return Cow::Borrowed(url);
    };
    let Some((info, _)) = authority.rsplit_once('@') else {
        return Cow::Borrowed(url);
    };
    let Some((user, _)) = info.split_once(':') else {
        return Cow::Borrowed(url);
    };
    let after = start + info.len();
    Cow::Owned(format!("{}{user}:***{}", &url[..start], &url[after..]))
}

/// Where the authority of `scheme://authority/...` starts, and its text.
fn authority_at(url: &str) -> Option<(usize, &str)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some((start, &rest[..end]))
}

fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// What every request of a load run shares: method, headers and body.
#[derive(Debug, Clone)]
pub struct RequestSpec {
    /// The method (`-m`).
    pub method: Method,
    /// The request's own headers (`-H`, `-T`, `-a`).
    pub headers: Arc<Headers>,
    /// The body (`--body`, `--body-file`), read once.
    pub body: Bytes,
}

impl Default for RequestSpec {
    fn default() -> Self {
        RequestSpec {
            method: Method::GET,
            headers: Arc::new(Headers::new()),
            body: Bytes::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_url_and_become_a_header() {
        let (url, auth) = split_credentials("https://u%40x:p%3Aw@127.0.0.1:9/p?q=1").unwrap();
        assert_eq!(url, "https://127.0.0.1:9/p?q=1");
        // "u@x:p:w"
        assert_eq!(auth, basic_auth("u@x", Some("p:w")));
        let (_, only_user) = split_credentials("http://ann@h/").unwrap();
        assert_eq!(only_user, basic_auth("ann", None));
        assert!(split_credentials("http://h/?x=a@b").is_none());
        assert!(basic_auth("a", Some("b")).is_sensitive());
    }

    #[test]
    fn redaction_keeps_the_user_and_hides_the_password() {
        assert_eq!(redact_url("http://u:p@h:1/x@y"), "http://u:***@h:1/x@y");
        assert_eq!(redact_url("http://u@h/"), "http://u@h/");
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn a_header_line_is_checked_and_its_value_never_echoed() {
        let mut h = Headers::new();
        h.push_line("  Authorization :  Bearer abc ").unwrap();
        assert_eq!(h.iter().next().unwrap().1, "Bearer abc");
        for bad in [
            "Bad Name: secretvalue",
            "X-Key: line\nbreak secretvalue",
            "secretvalue",
        ] {
            let err = h.push_line(bad).unwrap_err();
            assert!(!err.contains("secretvalue"), "{err}");
        }
    }

    #[test]
    fn the_urls_own_authorization_yields_to_a_header() {
        let mut headers = Headers::new();
        let mut request = Request::get("http://h/");
        request.authorization = Some(basic_auth("a", None));
        assert_eq!(request.header_list().count(), 1);
        headers.push(header::AUTHORIZATION, HeaderValue::from_static("Bearer t"));
        request.headers = &headers;
        let all: Vec<_> = request.header_list().collect();
        assert_eq!(
            all,
            [(
                &header::AUTHORIZATION,
                &HeaderValue::from_static("Bearer t")
            )]
        );
    }
}
