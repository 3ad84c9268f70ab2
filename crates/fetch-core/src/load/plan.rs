//! What a load run is to do: [`LoadPlan`], built from a [`UrlTemplate`]
//! and a [`Stop`], with builder methods for the rest.
//!
//! # Layout
//!
//! - [`UrlTemplate`]: a URL whose `{id}` becomes each request's number.
//! - [`Stop`]: after N requests, or after a duration.
//! - [`LoadPlan`]: the whole plan, with its defaults.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::{FetchError, HeaderValue, Parse, RequestSpec, parse_url, split_credentials};

/// A URL in which each `{id}` is replaced by the request's number (1, 2,
/// 3, ...), or a list of them taken in turn (`--url-file`).
///
/// A URL's `user:password@` is taken out when the template is made: the
/// URLs rendered hold none, and [`UrlTemplate::render`] hands back the
/// `Authorization` it stands for, so no password reaches a report, an
/// error message or a progress line.
///
/// ```
/// let t = fetch_core::UrlTemplate::new("http://127.0.0.1:8080/users/{id}").unwrap();
/// let mut url = String::new();
/// t.render(7, &mut url);
/// assert_eq!(url, "http://127.0.0.1:8080/users/7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    /// What a report shows: the template without credentials, or the
    /// file and how many URLs it held.
    label: String,
    entries: Vec<Entry>,
}

/// One URL of a template: its text around each `{id}`, and the
/// `Authorization` its user info stood for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    parts: Vec<String>,
    authorization: Option<HeaderValue>,
}

impl Entry {
    fn new(template: &str) -> Result<Self, FetchError> {
        let (template, authorization) = match split_credentials(template) {
            Some((url, auth)) => (url, Some(auth)),
            None => (template.to_owned(), None),
        };
        let entry = Entry {
            parts: template
                .split(UrlTemplate::PLACEHOLDER)
                .map(str::to_owned)
                .collect(),
            authorization,
        };
        let mut first = String::new();
        entry.render(1, &mut first);
        parse_url(&first).map_err(|e| match e {
            FetchError::InvalidUrl { reason, .. } => FetchError::InvalidUrl {
                url: template.clone(),
                reason,
            },
            other => other,
        })?;
        Ok(entry)
    }

    fn render(&self, id: u64, out: &mut String) {
        out.clear();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                let _ = write!(out, "{id}");
            }
            out.push_str(part);
        }
    }
}

impl UrlTemplate {
    /// The placeholder replaced per request.
    pub const PLACEHOLDER: &'static str = "{id}";

    /// Splits `template` at each `{id}` and checks that the URL it gives is valid.
    pub fn new(template: &str) -> Result<Self, FetchError> {
        let entry = Entry::new(template)?;
        Ok(UrlTemplate {
            label: entry.parts.join(Self::PLACEHOLDER),
            entries: vec![entry],
        })
    }

    /// The URLs of a `--url-file` named `name`: one per line, taken in
    /// turn (request 1 the first line, ...); blank lines and lines
    /// starting with `#` are skipped, `{id}` works in each. `None` when
    /// the text holds no URL.
    ///
    /// ```
    /// let t = fetch_core::UrlTemplate::list("urls.txt", "http://h/a\n# note\n\nhttp://h/b/{id}\n")
    ///     .unwrap()
    ///     .unwrap();
    /// assert_eq!(t.as_str(), "urls.txt (2 URLs)");
    /// let mut url = String::new();
    /// t.render(2, &mut url);
    /// assert_eq!(url, "http://h/b/2");
    /// t.render(3, &mut url);
    /// assert_eq!(url, "http://h/a");
    /// ```
    pub fn list(name: &str, text: &str) -> Result<Option<Self>, FetchError> {
        let entries = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(Entry::new)
            .collect::<Result<Vec<_>, _>>()?;
        let n = entries.len();
        Ok((n > 0).then(|| UrlTemplate {
            label: format!("{name} ({n} URL{})", if n == 1 { "" } else { "s" }),
            entries,
        }))
    }

    /// Writes the URL of request `id` into `out` (which is cleared first),
    /// and gives the `Authorization` its user info stood for, if any.
    pub fn render(&self, id: u64, out: &mut String) -> Option<&HeaderValue> {
        let n = self.entries.len() as u64;
        // `id` counts from 1; there is always at least one entry.
        let index = (id.saturating_sub(1) % n.max(1)) as usize;
        let entry = &self.entries[index];
        entry.render(id, out);
        entry.authorization.as_ref()
    }

    /// What a report shows: the template (without any password), or the
    /// file and how many URLs it held.
    pub fn as_str(&self) -> &str {
        &self.label
    }

    /// The URL of the first request.
    pub fn first(&self) -> String {
        let mut url = String::new();
        self.render(1, &mut url);
        url
    }
}

/// When a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many requests have been started (and answered).
    Requests(u64),
    /// No new request starts after this long, and those still in flight
    /// then are cancelled (counted as `cancelled`), as wrk's `-d` and
    /// oha's `-z` end, unless [`LoadPlan::wait_ongoing`] lets them finish.
    Duration(Duration),
}

/// What to run: build it with [`LoadPlan::new`] and the builder methods,
/// so a new setting is one change here, not one in every caller.
///
/// ```
/// # use std::time::Duration;
/// use fetch_core::{LoadPlan, Parse, Stop, UrlTemplate};
/// let url = UrlTemplate::new("http://127.0.0.1:8080/users/{id}").unwrap();
/// let plan = LoadPlan::new(url, Stop::Requests(1_000))
///     .concurrency(50)
///     .timeout(Duration::from_secs(2))
///     .parse(Parse::User);
/// assert_eq!(plan.concurrency, 50);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LoadPlan {
    /// The URL of each request.
    pub url: UrlTemplate,
    /// When to stop.
    pub stop: Stop,
    /// Requests in flight at once (worker tasks).
    pub concurrency: usize,
    /// Per-request time limit; a request over it counts as `timeout`.
    pub timeout: Duration,
    /// What each request does with its body.
    pub parse: Parse,
    /// Requests per second for an open loop; `None` for a closed loop.
    pub rate: Option<f64>,
    /// The method, headers and body every request sends (`GET`, none,
    /// none unless told).
    pub request: RequestSpec,
    /// A [`Stop::Duration`] run lets the requests in flight at its end
    /// finish (counted by their outcome) instead of cancelling them.
    pub wait_ongoing: bool,
}

impl LoadPlan {
    /// Requests in flight unless [`LoadPlan::concurrency`] says otherwise.
    pub const DEFAULT_CONCURRENCY: usize = 100;
    /// The per-request limit unless [`LoadPlan::timeout`] says otherwise.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A plan for `url` until `stop`: 100 in flight, a 10 s timeout per
    /// request, bodies only read ([`Parse::None`]). Redirects are followed
    /// as the client's configuration says, as `fetch_title` follows them.
    pub fn new(url: UrlTemplate, stop: Stop) -> Self {
        LoadPlan {
            url,
            stop,
            concurrency: Self::DEFAULT_CONCURRENCY,
            timeout: Self::DEFAULT_TIMEOUT,
            parse: Parse::None,
            rate: None,
            request: RequestSpec::default(),
            wait_ongoing: false,
        }
    }

    /// Whether a [`Stop::Duration`] run lets the requests in flight at its
    /// end finish (`true`) or cancels them (`false`, the default, as wrk's
    /// `-d` and oha's `-z`).
    #[must_use]
    pub fn wait_ongoing(mut self, wait: bool) -> Self {
        self.wait_ongoing = wait;
        self
    }

    /// When a run started at `start` ends for the requests in flight: a
    /// [`Stop::Duration`] run's deadline, unless it waits for them.
    pub fn cut_at(&self, start: Instant) -> Option<Instant> {
        match self.stop {
            Stop::Duration(d) if !self.wait_ongoing => Some(start + d),
            _ => None,
        }
    }

    /// The method, headers and body of every request.
    #[must_use]
    pub fn request(mut self, request: RequestSpec) -> Self {
        self.request = request;
        self
    }

    /// Requests in flight at once (at least 1).
    #[must_use]
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency.max(1);
        self
    }

    /// The time limit of each request.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// What each request does with its body.
    #[must_use]
    pub fn parse(mut self, parse: Parse) -> Self {
        self.parse = parse;
        self
    }

    /// Makes the run an open loop at `rate` requests per second, all
    /// workers together: request *i* is due at `start + (i - 1) / rate`,
    /// and its latency counts from then. `concurrency` stays the most
    /// requests in flight; due requests beyond it wait, in order, and the
    /// wait is in their latency. A rate that is not positive and finite
    /// leaves the run a closed loop.
    #[must_use]
    pub fn rate(mut self, rate: f64) -> Self {
        self.rate = (rate.is_finite() && rate > 0.0).then_some(rate);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn template_replaces_every_placeholder() {
        let t = UrlTemplate::new("http://h/{id}/x/{id}").unwrap();
        let mut s = String::from("leftover");
        t.render(12, &mut s);
        assert_eq!(s, "http://h/12/x/12");
        let plain = UrlTemplate::new("http://h/users/1").unwrap();
        plain.render(99, &mut s);
        assert_eq!(s, "http://h/users/1");
    }

    #[test]
    fn credentials_leave_the_template_and_its_label() {
        let t = UrlTemplate::new("http://ann:s3cret@h:1/users/{id}").unwrap();
        assert_eq!(t.as_str(), "http://h:1/users/{id}");
        let mut url = String::new();
        let auth = t.render(4, &mut url).cloned();
        assert_eq!(url, "http://h:1/users/4");
        assert_eq!(auth, Some(crate::basic_auth("ann", Some("s3cret"))));
        let list = UrlTemplate::list("f", "http://a:b@h/1\nhttp://h/2")
            .unwrap()
            .unwrap();
        assert!(list.render(1, &mut url).is_some());
        assert!(list.render(2, &mut url).is_none());
        assert!(UrlTemplate::list("f", "# nothing\n\n").unwrap().is_none());
        let err = UrlTemplate::list("f", "http://h/ok\nnot a url").unwrap_err();
        assert!(err.to_string().contains("not a url"), "{err}");
    }

    #[test]
    fn template_refuses_an_invalid_url() {
        let err = UrlTemplate::new("localhost:8080/{id}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("localhost:8080/{id}"));
    }
}
