//! What a load run is to do: [`LoadPlan`], built from a [`UrlTemplate`]
//! and a [`Stop`], with builder methods for the rest.
//!
//! # Layout
//!
//! - [`UrlTemplate`]: a URL whose `{id}` becomes each request's number.
//! - [`Stop`]: after N requests, or after a duration.
//! - [`LoadPlan`]: the whole plan, with its defaults.

use std::fmt::Write as _;
use std::time::Duration;

use crate::{FetchError, Parse, parse_url};

/// A URL in which each `{id}` is replaced by the request's number (1, 2, 3, ...).
///
/// ```
/// let t = fetch_core::UrlTemplate::new("http://127.0.0.1:8080/users/{id}").unwrap();
/// let mut url = String::new();
/// t.render(7, &mut url);
/// assert_eq!(url, "http://127.0.0.1:8080/users/7");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    template: String,
    parts: Vec<String>,
}

impl UrlTemplate {
    /// The placeholder replaced per request.
    pub const PLACEHOLDER: &'static str = "{id}";

    /// Splits `template` at each `{id}` and checks that the URL it gives is valid.
    pub fn new(template: &str) -> Result<Self, FetchError> {
        let t = UrlTemplate {
            template: template.to_owned(),
            parts: template
                .split(Self::PLACEHOLDER)
                .map(str::to_owned)
                .collect(),
        };
        let mut first = String::new();
        t.render(1, &mut first);
        parse_url(&first).map_err(|e| match e {
            FetchError::InvalidUrl { reason, .. } => FetchError::InvalidUrl {
                url: template.to_owned(),
                reason,
            },
            other => other,
        })?;
        Ok(t)
    }

    /// Writes the URL of request `id` into `out` (which is cleared first).
    pub fn render(&self, id: u64, out: &mut String) {
        out.clear();
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                let _ = write!(out, "{id}");
            }
            out.push_str(part);
        }
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.template
    }
}

/// When a run ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After this many requests have been started (and answered).
    Requests(u64),
    /// No new request starts after this long; those in flight finish.
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
        }
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
    fn template_refuses_an_invalid_url() {
        let err = UrlTemplate::new("localhost:8080/{id}").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("localhost:8080/{id}"));
    }
}
