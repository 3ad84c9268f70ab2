//! Following redirects: one implementation for every client.
//!
//! Client libraries disagree here (reqwest follows 10 by default, ureq 10,
//! surf none unless told, hyper has no notion of it), so every adapter is
//! built to follow none and hand back the `Location` header, and
//! [`get_following`] follows the same way whatever the client:
//!
//! - 301, 302, 303, 307 and 308 with a `Location` are followed (always
//!   with `GET`: it is the only method sent here, so the rules that
//!   change or keep the method do not differ); a 3xx without `Location`,
//!   and 300, 304 and 305, are answers like any other;
//! - `Location` may be absolute or relative to the URL that answered;
//!   its fragment is dropped (it is never sent);
//! - at most [`MAX_REDIRECTS`] hops (10, the default of reqwest, which
//!   the seed's `reqwest::get` uses, and of ureq; browsers allow 20); one
//!   more is a [`FetchError::Redirect`], as is a URL met
//!   twice (a loop: without cookies the same request gets the same answer,
//!   so it would go round until the limit), a `Location` that is not a
//!   URL, a scheme other than http and https, and a URL the client cannot
//!   fetch (https on a client built without TLS). Each names the chain.
//!
//! # Layout
//! - [`get_following`]: GET with redirects followed, returning [`Fetched`].
//! - `location`, `resolve`: whether an answer is a redirect, and where to.
//! - `refused`: the error that names the chain.

use std::borrow::Cow;

use crate::{BoxError, FetchError, LocalHttpClient, Response, is_scheme, parse_url};

/// The most redirects followed for one request, unless told otherwise.
pub const MAX_REDIRECTS: u32 = 10;

/// An answer, with the redirects followed to reach it.
#[derive(Debug, Clone)]
pub struct Fetched<'a> {
    /// The final answer (not a followed redirect).
    pub response: Response,
    /// The URL that gave it: the one asked for when nothing redirected.
    pub url: Cow<'a, str>,
    /// How many redirects were followed.
    pub redirects: u32,
}

/// `GET url`, following up to the client's
/// [`ClientConfig::max_redirects`](crate::ClientConfig::max_redirects)
/// redirects (0: none; a 3xx is then the answer) by the rules in the
/// module docs. The status of the final answer is not checked here.
pub async fn get_following<'a, C: LocalHttpClient>(
    client: &C,
    url: &'a str,
) -> Result<Fetched<'a>, FetchError> {
    let max_redirects = client.config().max_redirects;
    let mut response = client
        .get(url)
        .await
        .map_err(|e| prior_knowledge_hint(client, url, e))?;
    // Every URL asked for, once a redirect was followed (the one given
    // first); empty, and so not allocated, while none was.
    let mut chain: Vec<String> = Vec::new();
    loop {
        let current = chain.last().map_or(url, String::as_str);
        let Some(location) = location(&response, max_redirects) else {
            let redirects = chain.len().saturating_sub(1) as u32;
            return Ok(Fetched {
                response,
                url: chain.pop().map_or(Cow::Borrowed(url), Cow::Owned),
                redirects,
            });
        };
        let next = match resolve(&parse_url(current)?, location, response.status) {
            Ok(next) => next,
            Err((problem, last)) => return Err(refused(url, chain, problem, last)),
        };
        if chain.is_empty() {
            chain.push(url.to_owned());
        }
        // `chain` holds the redirects followed so far, plus one.
        if chain.len() > max_redirects as usize {
            return Err(refused(
                url,
                chain,
                format!("more than {max_redirects} redirects"),
                next,
            ));
        }
        if chain.contains(&next) {
            return Err(refused(url, chain, "redirect loop".to_owned(), next));
        }
        response = match client.get(&next).await {
            Ok(response) => response,
            // The client refused the URL itself (a scheme it does not
            // speak): that is the redirect's fault, so say it is one.
            Err(FetchError::InvalidUrl { reason, .. }) => {
                let problem = format!("redirected to a URL this client cannot fetch ({reason})");
                return Err(refused(url, chain, problem, next));
            }
            Err(other) => return Err(prior_knowledge_hint(client, &next, other)),
        };
        chain.push(next);
    }
}

/// The `Location` of `response` when it is a redirect to follow.
fn location(response: &Response, max_redirects: u32) -> Option<&str> {
    match (response.status, &response.location) {
        (301 | 302 | 303 | 307 | 308, Some(location)) if max_redirects > 0 => Some(location),
        _ => None,
    }
}

/// The URL `location` (from an answer with `status`) sends the client to,
/// resolved against `base`; `Err((problem, the location))` when it cannot
/// be followed.
fn resolve(base: &url::Url, location: &str, status: u16) -> Result<String, (String, String)> {
    let mut target = base.join(location).map_err(|e| {
        (
            format!("HTTP {status} with a Location that is not a URL ({e})"),
            location.to_owned(),
        )
    })?;
    target.set_fragment(None);
    let target = String::from(target);
    if let Err(FetchError::InvalidUrl { reason, .. }) = parse_url(&target) {
        return Err((format!("redirected to {reason}"), target));
    }
    Ok(target)
}

/// The [`FetchError::Redirect`] for `url` whose redirects went through
/// `chain` (empty: none followed yet) and stopped at `last`.
fn refused(url: &str, mut chain: Vec<String>, problem: String, last: String) -> FetchError {
    if chain.is_empty() {
        chain.push(url.to_owned());
    }
    chain.push(last);
    FetchError::Redirect {
        url: url.to_owned(),
        problem,
        chain,
    }
}

/// `--http2` on plain http is HTTP/2 with prior knowledge: the client
/// opens with HTTP/2's preface, and a server that speaks only HTTP/1.1
/// answers in HTTP/1.1, which the client reads as a broken frame ("frame
/// with invalid size"). A transport failure there says so, and what to try.
fn prior_knowledge_hint<C: LocalHttpClient>(client: &C, url: &str, err: FetchError) -> FetchError {
    match err {
        FetchError::Transport {
            url: failed,
            source,
        } if client.config().http2 && is_scheme(url, "http") => FetchError::Transport {
            url: failed,
            source: Box::new(Hint {
                hint: "with --http2 on http:// the client speaks HTTP/2 from the first byte \
                           (prior knowledge), and a server that speaks only HTTP/1.1 without TLS \
                           answers in a way it cannot read: try without --http2, or over https",
                source,
            }),
        },
        other => other,
    }
}

/// An error with a hint in front of its cause.
#[derive(Debug)]
struct Hint {
    hint: &'static str,
    source: BoxError,
}

impl std::fmt::Display for Hint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.hint)
    }
}

impl std::error::Error for Hint {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&*self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientConfig, ErrorKind, HttpClient};
    use bytes::Bytes;
    use std::collections::HashMap;
    use std::future::Future;

    /// A client that answers from a table: path -> (status, Location).
    struct Table {
        routes: HashMap<&'static str, (u16, Option<&'static str>)>,
        config: ClientConfig,
        asked: std::sync::Mutex<Vec<String>>,
    }

    impl Table {
        fn new(routes: &[(&'static str, u16, Option<&'static str>)]) -> Self {
            Table {
                routes: routes.iter().map(|(p, s, l)| (*p, (*s, *l))).collect(),
                config: ClientConfig::default(),
                asked: std::sync::Mutex::default(),
            }
        }
    }

    impl HttpClient for Table {
        fn name(&self) -> &'static str {
            "table"
        }

        fn config(&self) -> &ClientConfig {
            &self.config
        }

        fn get(&self, url: &str) -> impl Future<Output = Result<Response, FetchError>> + Send {
            self.asked.lock().unwrap().push(url.to_owned());
            let parsed = parse_url(url);
            let answer = parsed.and_then(|parsed| {
                if parsed.scheme() == "https" {
                    return Err(FetchError::InvalidUrl {
                        url: url.to_owned(),
                        reason: "no TLS here".to_owned(),
                    });
                }
                let (status, location) = self
                    .routes
                    .get(parsed.path())
                    .copied()
                    .unwrap_or((404, None));
                Ok(Response {
                    status,
                    content_type: None,
                    location: location.map(str::to_owned),
                    body: Bytes::from_static(b"body"),
                    version: crate::HttpVersion::Http11,
                })
            });
            std::future::ready(answer)
        }
    }

    fn follow(client: &mut Table, url: &str, max: u32) -> Result<(u16, String, u32), FetchError> {
        client.config.max_redirects = max;
        let fetched = futures_executor(get_following(client, url))?;
        Ok((
            fetched.response.status,
            fetched.url.into_owned(),
            fetched.redirects,
        ))
    }

    /// The table client's futures are ready at once: one poll runs them.
    fn futures_executor<F: Future>(future: F) -> F::Output {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => unreachable!("the table client never waits"),
        }
    }

    #[test]
    fn each_redirect_status_is_followed_relative_or_absolute() {
        for status in [301, 302, 303, 307, 308] {
            let mut client = Table::new(&[
                ("/old", status, Some("/new#frag")),
                ("/new", 302, Some("http://h/final")),
                ("/final", 200, None),
            ]);
            let got = follow(&mut client, "http://h/old", MAX_REDIRECTS).unwrap();
            assert_eq!(got, (200, "http://h/final".to_owned(), 2), "{status}");
            let asked = client.asked.lock().unwrap().clone();
            assert_eq!(asked, ["http://h/old", "http://h/new", "http://h/final"]);
        }
    }

    #[test]
    fn other_answers_are_returned_as_they_are() {
        let mut client = Table::new(&[
            ("/no-location", 301, None),
            ("/not-modified", 304, Some("/x")),
            ("/ok", 200, Some("/x")),
        ]);
        for (path, status) in [("/no-location", 301), ("/not-modified", 304), ("/ok", 200)] {
            let url = format!("http://h{path}");
            assert_eq!(
                follow(&mut client, &url, 10).unwrap(),
                (status, url.clone(), 0)
            );
        }
        // With no redirects allowed, a redirect is the answer.
        let mut client = Table::new(&[("/old", 301, Some("/new"))]);
        assert_eq!(
            follow(&mut client, "http://h/old", 0).unwrap(),
            (301, "http://h/old".to_owned(), 0)
        );
    }

    #[test]
    fn a_loop_is_refused_naming_the_chain() {
        let mut client = Table::new(&[("/a", 302, Some("/b")), ("/b", 302, Some("/a"))]);
        let err = follow(&mut client, "http://h/a", 10).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect);
        assert_eq!(
            err.to_string(),
            "redirect loop: http://h/a -> http://h/b -> http://h/a"
        );
        let mut client = Table::new(&[("/self", 307, Some("/self"))]);
        let err = follow(&mut client, "http://h/self", 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "redirect loop: http://h/self -> http://h/self"
        );
    }

    #[test]
    fn ten_hops_are_followed_and_the_eleventh_is_refused() {
        let paths: Vec<String> = (0..=11).map(|i| format!("/{i}")).collect();
        let leak = |s: &String| -> &'static str { Box::leak(s.clone().into_boxed_str()) };
        let mut routes: Vec<(&'static str, u16, Option<&'static str>)> = (0..11)
            .map(|i| (leak(&paths[i]), 302, Some(leak(&paths[i + 1]))))
            .collect();
        routes.push((leak(&paths[11]), 200, None));
        let mut client = Table::new(&routes);
        // /1 -> ... -> /11 is ten hops.
        assert_eq!(
            follow(&mut client, "http://h/1", 10).unwrap(),
            (200, "http://h/11".to_owned(), 10)
        );
        client.asked.lock().unwrap().clear();
        let err = follow(&mut client, "http://h/0", 10).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect);
        let text = err.to_string();
        assert!(
            text.starts_with("more than 10 redirects: http://h/0 -> http://h/1 -> "),
            "{text}"
        );
        assert!(text.ends_with(" -> http://h/11"), "{text}");
        // Only the ten allowed were asked for, and the first.
        assert_eq!(client.asked.lock().unwrap().len(), 11);
    }

    #[test]
    fn schemes_and_urls_that_cannot_be_followed_are_named() {
        let mut client = Table::new(&[
            ("/ftp", 301, Some("ftp://h/file")),
            ("/tls", 301, Some("https://h/secure")),
            ("/bad", 302, Some("http://[::1")),
        ]);
        let err = follow(&mut client, "http://h/ftp", 10).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect);
        assert!(
            err.to_string().contains("unsupported scheme \"ftp\""),
            "{err}"
        );
        assert!(
            err.to_string().ends_with("http://h/ftp -> ftp://h/file"),
            "{err}"
        );
        let err = follow(&mut client, "http://h/tls", 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "redirected to a URL this client cannot fetch (no TLS here): \
             http://h/tls -> https://h/secure"
        );
        let err = follow(&mut client, "http://h/bad", 10).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Redirect);
        assert!(
            err.to_string().contains("Location that is not a URL"),
            "{err}"
        );
    }
}
