//! Following redirects: one implementation for every client.
//!
//! Client libraries disagree here (reqwest follows 10 by default, ureq 10,
//! surf none unless told, hyper has no notion of it), so every adapter is
//! built to follow none and hand back the `Location` header, and
//! [`send_following`] follows the same way whatever the client, as
//! browsers and the Fetch standard do:
//!
//! - 301, 302, 303, 307 and 308 with a `Location` are followed; a 3xx
//!   without `Location`, and 300, 304 and 305, are answers like any other;
//! - 303 turns any method but `HEAD` into `GET` without a body, and 301
//!   and 302 turn `POST` into `GET` without a body; 307 and 308 keep the
//!   method and the body. A request that loses its body loses the headers
//!   that describe it too (`Content-Type`, `Content-Encoding`,
//!   `Content-Language`, `Content-Location`);
//! - a redirect to another origin drops `Authorization` (set by the user
//!   or from the URL's user info), `Cookie` and `Proxy-Authorization`, as
//!   reqwest and curl do: credentials are for the origin they were given for;
//! - `Location` may be absolute or relative to the URL that answered;
//!   its fragment is dropped (it is never sent);
//! - at most [`MAX_REDIRECTS`] hops (10, the default of reqwest, which
//!   the seed's `reqwest::get` uses, and of ureq; browsers allow 20); one
//!   more is a [`FetchError::Redirect`], as is the same request met
//!   twice (a loop: without cookies the same request gets the same answer,
//!   so it would go round until the limit), a `Location` that is not a
//!   URL, a scheme other than http and https, and a URL the client cannot
//!   fetch (https on a client built without TLS). Each names the chain.
//!
//! A URL's `user:password@` is taken out before anything is sent
//! ([`split_credentials`]): the client sees the URL without it and an
//! `Authorization: Basic` header, whatever the client.
//!
//! A hop is sent once more when its connection turned out closed before any
//! byte of the answer came back and its method is idempotent
//! (`send_again`), on a connection opened for it (the client's
//! `send_fresh`): the server never got the request through, so sending it
//! again is safe, and browsers, curl and Go's client do the same.
//!
//! # Layout
//! - [`send_following`]: a request with redirects followed, returning [`Fetched`];
//!   [`send_following_counted`], the same counting the requests sent again;
//!   [`get_following`], the same for `GET url`.
//! - `send_again`: one hop, sent once more if its connection was found closed.
//! - `Hop`: the request as a redirect rewrote it.
//! - `location`, `resolve`: whether an answer is a redirect, and where to.
//! - `refused`: the error that names the chain.

use std::borrow::Cow;

use bytes::Bytes;

use crate::{
    BoxError, FetchError, HeaderValue, Headers, LocalHttpClient, Method, Request, Response, header,
    is_scheme, parse_url, split_credentials,
};

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
    /// Body bytes received over every hop.
    pub received: u64,
}

/// `GET url`, following redirects: [`send_following`] of [`Request::get`].
pub async fn get_following<'a, C: LocalHttpClient>(
    client: &C,
    url: &'a str,
) -> Result<Fetched<'a>, FetchError> {
    send_following(client, &Request::get(url)).await
}

/// Sends `request`, following up to the client's
/// [`ClientConfig::max_redirects`](crate::ClientConfig::max_redirects)
/// redirects (0: none; a 3xx is then the answer) by the rules in the
/// module docs. The status of the final answer is not checked here.
pub async fn send_following<'a, C: LocalHttpClient>(
    client: &C,
    request: &Request<'a>,
) -> Result<Fetched<'a>, FetchError> {
    send_following_counted(client, request, &mut 0).await
}

/// [`send_following`], adding to `retries` each time a hop was sent again
/// because its connection was found closed before the answer (whether
/// the next try then worked or not).
pub async fn send_following_counted<'a, C: LocalHttpClient>(
    client: &C,
    request: &Request<'a>,
    retries: &mut u32,
) -> Result<Fetched<'a>, FetchError> {
    let Some((url, authorization)) = split_credentials(request.url) else {
        return follow(client, request, retries).await;
    };
    // Rare (credentials in the URL), so boxed: the common path's future
    // does not carry a second `follow`'s space.
    Box::pin(async move {
        let mut stripped = request.to(&url);
        stripped.authorization.get_or_insert(authorization);
        let fetched = follow(client, &stripped, retries).await?;
        Ok(Fetched {
            url: Cow::Owned(fetched.url.into_owned()),
            response: fetched.response,
            redirects: fetched.redirects,
            received: fetched.received,
        })
    })
    .await
}

/// The request a redirect asks for, when it differs from the first one.
#[derive(Debug)]
struct Hop {
    method: Method,
    headers: Headers,
    authorization: Option<HeaderValue>,
    body: Bytes,
}

impl Hop {
    fn of(request: &Request<'_>) -> Self {
        Hop {
            method: request.method.clone(),
            headers: request.headers.clone(),
            authorization: request.authorization.clone(),
            body: request.body.clone(),
        }
    }

    /// Rewrites the request for a redirect with `status` (to another
    /// origin unless `same_origin`), by the rules in the module docs.
    fn redirected(&mut self, status: u16, same_origin: bool) {
        let to_get = match status {
            303 => self.method != Method::GET && self.method != Method::HEAD,
            301 | 302 => self.method == Method::POST,
            _ => false,
        };
        if to_get {
            self.method = Method::GET;
            self.body = Bytes::new();
            for name in [
                header::CONTENT_TYPE,
                header::CONTENT_ENCODING,
                header::CONTENT_LANGUAGE,
                header::CONTENT_LOCATION,
                header::CONTENT_LENGTH,
            ] {
                self.headers.remove(&name);
            }
        }
        if !same_origin {
            self.authorization = None;
            for name in [
                header::AUTHORIZATION,
                header::COOKIE,
                header::PROXY_AUTHORIZATION,
            ] {
                self.headers.remove(&name);
            }
        }
    }

    fn request<'a>(&'a self, first: &Request<'_>, url: &'a str) -> Request<'a> {
        Request {
            method: self.method.clone(),
            url,
            headers: &self.headers,
            authorization: self.authorization.clone(),
            body: self.body.clone(),
            keep_body: first.keep_body,
        }
    }
}

/// [`send_following`] of a request whose URL holds no credentials.
async fn follow<'a, C: LocalHttpClient>(
    client: &C,
    first: &Request<'a>,
    retries: &mut u32,
) -> Result<Fetched<'a>, FetchError> {
    let url = first.url;
    let max_redirects = client.config().max_redirects;
    let mut response = send_again(client, first, retries)
        .await
        .map_err(|e| prior_knowledge_hint(client, url, e))?;
    let mut received = response.received;
    // Every URL asked for, with its method, once a redirect was followed
    // (the first included); empty, and so not allocated, while none was.
    let mut chain: Vec<String> = Vec::new();
    let mut methods: Vec<Method> = Vec::new();
    let mut hop: Option<Hop> = None;
    loop {
        let current = chain.last().map_or(url, String::as_str);
        let Some(location) = location(&response, max_redirects) else {
            let redirects = chain.len().saturating_sub(1) as u32;
            return Ok(Fetched {
                response,
                url: chain.pop().map_or(Cow::Borrowed(url), Cow::Owned),
                redirects,
                received,
            });
        };
        let (next, same_origin) = match resolve(&parse_url(current)?, location, response.status) {
            Ok(next) => next,
            Err((problem, last)) => return Err(refused(url, chain, problem, last)),
        };
        if chain.is_empty() {
            chain.push(url.to_owned());
            methods.push(first.method.clone());
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
        let rewritten = hop.get_or_insert_with(|| Hop::of(first));
        rewritten.redirected(response.status, same_origin);
        let looped = chain
            .iter()
            .zip(&methods)
            .any(|(u, m)| *u == next && *m == rewritten.method);
        if looped {
            return Err(refused(url, chain, "redirect loop".to_owned(), next));
        }
        // Boxed: a redirect is rare, and the first hop's future (the
        // common path, in every request's memory) need not carry the
        // space of a second.
        let hop = rewritten.request(first, &next);
        response = match Box::pin(send_again(client, &hop, retries)).await {
            Ok(response) => response,
            // The client refused the URL itself (a scheme it does not
            // speak): that is the redirect's fault, so say it is one.
            Err(FetchError::InvalidUrl { reason, .. }) => {
                let problem = format!("redirected to a URL this client cannot fetch ({reason})");
                return Err(refused(url, chain, problem, next));
            }
            Err(other) => return Err(prior_knowledge_hint(client, &next, other)),
        };
        received += response.received;
        methods.push(rewritten.method.clone());
        chain.push(next);
    }
}

/// Sends `request`; if its connection was found closed before any byte of
/// the answer ([`FetchError::is_unanswered`]) and its method is
/// idempotent (GET, HEAD, PUT, DELETE, OPTIONS, TRACE; never POST or
/// PATCH), sends it once more (the failed connection is closed, so the
/// client takes another) and counts that in `retries`. RFC 9110, 9.2.2:
/// such a request never reached the application, and not sending it
/// again reports an error the server never made. Once, as browsers, curl
/// and Go do: a server that resets every request gets each one twice, not
/// a storm; the second try's outcome is the answer.
async fn send_again<C: LocalHttpClient>(
    client: &C,
    request: &Request<'_>,
    retries: &mut u32,
) -> Result<Response, FetchError> {
    match client.send(request).await {
        Err(err) if err.is_unanswered() && request.method.is_idempotent() => {
            *retries += 1;
            // On a connection of its own: the pool's next idle one may be
            // closed too (a server whose idle timeout fired for them all).
            // Boxed, as it is rare: the first try's future is the one every
            // request carries.
            Box::pin(client.send_fresh(request)).await
        }
        other => other,
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
/// resolved against `base`, and whether it is of the same origin;
/// `Err((problem, the location))` when it cannot be followed.
fn resolve(
    base: &url::Url,
    location: &str,
    status: u16,
) -> Result<(String, bool), (String, String)> {
    let mut target = base.join(location).map_err(|e| {
        (
            format!("HTTP {status} with a Location that is not a URL ({e})"),
            location.to_owned(),
        )
    })?;
    target.set_fragment(None);
    let same_origin = target.origin() == base.origin();
    let target = String::from(target);
    if let Err(FetchError::InvalidUrl { reason, .. }) = parse_url(&target) {
        return Err((format!("redirected to {reason}"), target));
    }
    Ok((target, same_origin))
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
            unanswered,
        } if client.config().http2 && is_scheme(url, "http") => FetchError::Transport {
            url: failed,
            unanswered,
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
    use std::sync::atomic::Ordering::Relaxed;

    /// A client that answers from a table: path -> (status, Location).
    struct Table {
        routes: HashMap<&'static str, (u16, Option<&'static str>)>,
        config: ClientConfig,
        asked: std::sync::Mutex<Vec<String>>,
        /// Each request as sent: method, body, header names.
        sent: std::sync::Mutex<Vec<(Method, Bytes, Vec<String>)>>,
        /// The next this many sends find their connection reset before
        /// the answer (with `reused`: on a connection the client reused).
        resets: std::sync::atomic::AtomicU32,
        reused: bool,
        /// Requests sent with `send_fresh`.
        fresh: std::sync::atomic::AtomicU32,
    }

    impl Table {
        fn new(routes: &[(&'static str, u16, Option<&'static str>)]) -> Self {
            Table {
                routes: routes.iter().map(|(p, s, l)| (*p, (*s, *l))).collect(),
                config: ClientConfig::default(),
                asked: std::sync::Mutex::default(),
                sent: std::sync::Mutex::default(),
                resets: std::sync::atomic::AtomicU32::new(0),
                reused: true,
                fresh: std::sync::atomic::AtomicU32::new(0),
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

        fn send_fresh(
            &self,
            request: &Request<'_>,
        ) -> impl Future<Output = Result<Response, FetchError>> + Send {
            self.fresh.fetch_add(1, Relaxed);
            HttpClient::send(self, request)
        }

        fn send(
            &self,
            request: &Request<'_>,
        ) -> impl Future<Output = Result<Response, FetchError>> + Send {
            let url = request.url;
            self.asked.lock().unwrap().push(url.to_owned());
            let names = request.header_list().map(|(n, _)| n.to_string()).collect();
            self.sent
                .lock()
                .unwrap()
                .push((request.method.clone(), request.body.clone(), names));
            let reset = self
                .resets
                .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1))
                .is_ok();
            if reset {
                let io = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
                let err = FetchError::transport_before_answer(url, io, self.reused);
                return std::future::ready(Err(err));
            }
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
                    received: 4,
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
    fn methods_and_bodies_change_on_redirects_as_the_fetch_standard_says() {
        let post = Method::POST;
        let put = Method::PUT;
        // (status, method sent first, method and body after the redirect)
        for (status, first, then, keeps_body) in [
            (301, &post, Method::GET, false),
            (302, &post, Method::GET, false),
            (303, &post, Method::GET, false),
            (303, &put, Method::GET, false),
            (303, &Method::HEAD, Method::HEAD, true),
            (301, &put, Method::PUT, true),
            (302, &put, Method::PUT, true),
            (307, &post, Method::POST, true),
            (308, &post, Method::POST, true),
        ] {
            let client = Table::new(&[("/old", status, Some("/new")), ("/new", 200, None)]);
            let mut headers = Headers::new();
            headers.push_line("Content-Type: application/json").unwrap();
            headers.push_line("X-Trace: 1").unwrap();
            let request = Request {
                method: first.clone(),
                body: Bytes::from_static(b"{}"),
                headers: &headers,
                ..Request::get("http://h/old")
            };
            let fetched = futures_executor(send_following(&client, &request)).unwrap();
            assert_eq!(fetched.received, 8, "two bodies of 4 bytes");
            let sent = client.sent.lock().unwrap();
            let (method, body, names) = &sent[1];
            assert_eq!(*method, then, "{status} {first}");
            assert_eq!(!body.is_empty(), keeps_body, "{status} {first}");
            let content_type = names.iter().any(|n| n == "content-type");
            assert_eq!(content_type, keeps_body, "{status} {first}: {names:?}");
            assert!(names.iter().any(|n| n == "x-trace"), "other headers stay");
        }
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let client = Table::new(&[
            ("/here", 302, Some("/there")),
            ("/there", 302, Some("http://elsewhere/x")),
            ("/x", 200, None),
        ]);
        let mut headers = Headers::new();
        headers.push_line("Authorization: Bearer t").unwrap();
        headers.push_line("Cookie: a=b").unwrap();
        let request = Request {
            headers: &headers,
            ..Request::get("http://user:pw@h/here")
        };
        let fetched = futures_executor(send_following(&client, &request)).unwrap();
        assert_eq!(fetched.url, "http://elsewhere/x");
        assert_eq!(
            *client.asked.lock().unwrap(),
            ["http://h/here", "http://h/there", "http://elsewhere/x"],
            "the password never reaches the client"
        );
        let sent = client.sent.lock().unwrap();
        let names = |i: usize| sent[i].2.clone();
        assert_eq!(names(0), ["authorization", "cookie"]);
        assert_eq!(names(1), ["authorization", "cookie"], "same origin");
        assert!(names(2).is_empty(), "another origin: {:?}", names(2));

        // The URL's user info alone becomes Authorization: Basic.
        let client = Table::new(&[("/p", 200, None)]);
        futures_executor(get_following(&client, "http://u:p@h/p")).unwrap();
        assert_eq!(client.sent.lock().unwrap()[0].2, ["authorization"]);
    }

    #[test]
    fn a_post_redirected_to_itself_as_a_get_is_no_loop() {
        let client = Table::new(&[("/form", 303, Some("/form"))]);
        let request = Request {
            method: Method::POST,
            ..Request::get("http://h/form")
        };
        // POST /form -> 303 -> GET /form -> 303 -> GET /form: the loop is
        // found at the second GET, not at the first.
        let err = futures_executor(send_following(&client, &request)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "redirect loop: http://h/form -> http://h/form -> http://h/form"
        );
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

    #[test]
    fn a_request_whose_connection_was_found_closed_is_sent_once_more() {
        let ok = [("/a", 200, None)];
        let send = |client: &Table, method: Method| {
            let mut retries = 0;
            let request = Request {
                method,
                ..Request::get("http://h/a")
            };
            let outcome = futures_executor(send_following_counted(client, &request, &mut retries));
            (outcome.map(|f| f.response.status), retries)
        };
        // Reset once: sent again, answered, one retry counted.
        let client = Table::new(&ok);
        client.resets.store(1, Relaxed);
        assert_eq!(send(&client, Method::GET).0.unwrap(), 200);
        assert_eq!(send(&client, Method::GET).1, 0, "no reset, no retry");
        client.resets.store(1, Relaxed);
        let (outcome, retries) = send(&client, Method::PUT);
        assert_eq!((outcome.unwrap(), retries), (200, 1));
        // Each retry went out on a connection of its own.
        assert_eq!(client.fresh.load(Relaxed), 2);
        // Once only: a second reset is the request's error.
        client.resets.store(2, Relaxed);
        let (outcome, retries) = send(&client, Method::GET);
        assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Transport);
        assert_eq!(retries, 1);
        // Never a POST or a PATCH: the server may have acted on it.
        for method in [Method::POST, Method::PATCH] {
            client.resets.store(1, Relaxed);
            let (outcome, retries) = send(&client, method);
            assert_eq!(
                (outcome.unwrap_err().kind(), retries),
                (ErrorKind::Transport, 0)
            );
        }
        // A client that says its connection was a new one: not retried.
        let mut fresh = Table::new(&ok);
        fresh.reused = false;
        fresh.resets.store(1, Relaxed);
        assert_eq!(send(&fresh, Method::GET).1, 0);
        assert_eq!(fresh.asked.lock().unwrap().len(), 1);
    }
}
