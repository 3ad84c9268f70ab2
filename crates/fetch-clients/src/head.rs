//! What an adapter reads from a response head, for the clients whose
//! heads are the `http` crate's types (reqwest, hyper, ureq): read once,
//! the same way for each; and [`Stage`], whether an error came before the
//! head or in the body.
//!
//! # Layout
//! - [`Head`]: the parts of a head this project looks at.
//! - [`Stage`]: where a client library's error came.

use fetch_core::{BodyBuffer, FetchError, HttpVersion, Request, Response};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};

/// The parts of a response head this project looks at.
#[derive(Debug)]
pub(crate) struct Head {
    status: u16,
    content_type: Option<String>,
    /// A redirect's `Location` (fetch-core follows it); `None` for any
    /// other answer.
    location: Option<String>,
    content_length: Option<u64>,
    version: HttpVersion,
}

impl Head {
    /// Reads the head of an answer with `status`, `version` and `headers`.
    pub(crate) fn of(
        status: http::StatusCode,
        version: http::Version,
        headers: &http::HeaderMap,
    ) -> Self {
        // One pass over the headers, not a hashed lookup for each of the
        // three: about 150 instructions fewer per request (cachegrind).
        // The first value of each counts, as `HeaderMap::get` would give.
        let (mut content_type, mut location, mut content_length) = (None, None, None);
        for (name, value) in headers {
            let slot = if *name == CONTENT_TYPE {
                &mut content_type
            } else if *name == LOCATION {
                &mut location
            } else if *name == CONTENT_LENGTH {
                &mut content_length
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(value.to_str().ok());
            }
        }
        Head {
            status: status.as_u16(),
            content_type: content_type.flatten().map(str::to_owned),
            location: status
                .is_redirection()
                .then_some(location)
                .flatten()
                .flatten()
                .map(str::to_owned),
            content_length: content_length.flatten().and_then(|v| v.parse().ok()),
            version: match version {
                http::Version::HTTP_2 => HttpVersion::Http2,
                // HTTP/0.9 is not answered by any client here.
                http::Version::HTTP_10 | http::Version::HTTP_09 => HttpVersion::Http10,
                // HTTP/3 is not spoken by any client here.
                _ => HttpVersion::Http11,
            },
        }
    }

    /// A buffer for the body this head announces, in answer to `request`,
    /// under `limit`.
    pub(crate) fn body<'a>(
        &self,
        request: &Request<'a>,
        limit: usize,
    ) -> Result<BodyBuffer<'a>, FetchError> {
        BodyBuffer::for_request(request, limit, self.content_length)
    }

    /// The response, once the body has ended (an error if it is short).
    pub(crate) fn with_body(self, body: BodyBuffer<'_>) -> Result<Response, FetchError> {
        let received = body.received();
        Ok(Response {
            status: self.status,
            content_type: self.content_type,
            location: self.location,
            body: body.finish()?,
            received,
            version: self.version,
        })
    }
}

/// Where in an exchange a client library's error came: before any byte of
/// the answer (sending, or waiting for the head), or while reading the
/// body. A connection found closed at the first may be retried by the
/// engine; at the second, an answer had started and it never is.
#[cfg(any(feature = "reqwest", feature = "cyper"))]
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stage {
    /// Sending the request, or waiting for the answer's head.
    Head,
    /// Reading the body.
    Body,
}

#[cfg(any(feature = "reqwest", feature = "cyper"))]
impl Stage {
    /// The transport error for `err`, met at this stage. These libraries
    /// pool connections out of sight, so they cannot say whether one was
    /// reused: a closed connection before the head counts as unanswered.
    pub(crate) fn transport(self, url: &str, err: impl Into<fetch_core::BoxError>) -> FetchError {
        match self {
            Stage::Head => FetchError::transport_before_answer(url, err, true),
            Stage::Body => FetchError::transport(url, err),
        }
    }
}
