//! The routes for other shapes of work than a small JSON answer, and for
//! seeing what a client really sent.
//!
//! | route | answer |
//! |---|---|
//! | `POST /echo` | reads the whole body (counted and hashed, not kept) and answers `{"length":N,"digest":"fnv1a64:…"}`: a small answer, so a load on it measures the upload |
//! | `GET /bytes/{n}` | `n` bytes of `x` (at most [`MAX_BYTES`]), streamed from one shared buffer: memory stays flat whatever `n` |
//! | any method, `/inspect/{*rest}` | records the request (method, target, version, headers, body length) and answers with that record as JSON |
//! | `GET /inspect` | the last [`KEPT`] records, oldest first: what each client really sent |
//! | any method, `/redirect/{code}?to=URL` | `code` (301, 302, 303, 307, 308) with `Location: URL` |
//!
//! # Layout
//! - [`echo`], [`bytes`]: uploads and downloads.
//! - [`Inspected`], [`inspect`], [`inspected`]: the request log.
//! - [`redirect`]: a redirect of any status to anywhere.

use std::collections::{HashMap, VecDeque};
use std::hash::Hasher as _;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Frame, SizeHint};
use http_body_util::BodyExt as _;
use serde::Serialize;
use serde_json::json;

/// The largest body `/bytes/{n}` sends: 64 GiB (streamed, so it costs
/// time, not memory).
pub const MAX_BYTES: u64 = 64 << 30;

/// Requests `/inspect` keeps, the oldest dropped first.
pub const KEPT: usize = 1_000;

/// The chunk every `/bytes/{n}` answer is cut from.
static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

/// `POST /echo`: the body's length and FNV-1a 64 digest, read chunk by
/// chunk (no size limit, nothing kept).
pub async fn echo(request: Request) -> Response {
    let mut body = request.into_body();
    let mut hash = fnv::FnvHasher::default();
    let mut length: u64 = 0;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Ok(data) = frame.into_data() {
                    length += data.len() as u64;
                    hash.write(&data);
                }
            }
            Err(e) => {
                let message = format!("the request body could not be read: {e}");
                return (
                    StatusCode::BAD_REQUEST,
                    axum::Json(json!({ "error": message })),
                )
                    .into_response();
            }
        }
    }
    let digest = format!("fnv1a64:{:016x}", hash.finish());
    axum::Json(json!({ "length": length, "digest": digest })).into_response()
}

/// The FNV-1a 64 digest `/echo` answers for `body`, for tests.
pub fn digest_of(body: &[u8]) -> String {
    let mut hash = fnv::FnvHasher::default();
    hash.write(body);
    format!("fnv1a64:{:016x}", hash.finish())
}

/// `GET /bytes/{n}`: `n` bytes, streamed.
pub async fn bytes(Path(n): Path<u64>) -> Response {
    if n > MAX_BYTES {
        let message = format!("at most {MAX_BYTES} bytes");
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": message })),
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        Body::new(Repeat { left: n }),
    )
        .into_response()
}

/// A body of `left` more bytes of `x`, in chunks of the shared buffer; its
/// exact size is known, so it goes out with a `Content-Length`.
#[derive(Debug)]
struct Repeat {
    left: u64,
}

impl http_body::Body for Repeat {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        let n = self.left.min(CHUNK.len() as u64) as usize;
        self.left -= n as u64;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..n])))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

/// One request as the server received it.
#[derive(Debug, Clone, Serialize)]
pub struct Inspected {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path and query.
    pub target: String,
    /// `HTTP/1.1`, `HTTP/2`, ...
    pub version: String,
    /// Every header, in order, names lower case.
    pub headers: Vec<(String, String)>,
    /// Body bytes received.
    pub body_length: u64,
}

/// The last [`KEPT`] requests to `/inspect/...`.
pub type Log = Arc<Mutex<VecDeque<Inspected>>>;

/// Any method on `/inspect/{*rest}`: records the request, answers the record.
pub async fn inspect(State(log): State<Log>, request: Request) -> Response {
    let (parts, mut body) = request.into_parts();
    let mut body_length = 0;
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            body_length += data.len() as u64;
        }
    }
    let record = Inspected {
        method: parts.method.to_string(),
        target: parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned()),
        version: format!("{:?}", parts.version),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body_length,
    };
    {
        let mut log = log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() == KEPT {
            log.pop_front();
        }
        log.push_back(record.clone());
    }
    axum::Json(record).into_response()
}

/// `GET /inspect`: the requests recorded, oldest first.
pub async fn inspected(State(log): State<Log>) -> Response {
    let log = log.lock().unwrap_or_else(|p| p.into_inner());
    axum::Json(log.iter().collect::<Vec<_>>()).into_response()
}

/// Any method on `/redirect/{code}?to=URL`: that redirect. A request's
/// body is read to its end first, as a server that keeps the connection
/// must: hyper closes a connection whose request body was left unread,
/// and a client that reuses it (surf's pool does) would meet it closed.
pub async fn redirect(
    Path(code): Path<u16>,
    Query(query): Query<HashMap<String, String>>,
    request: Request,
) -> Response {
    let mut body = request.into_body();
    while let Some(Ok(_)) = body.frame().await {}
    let Some(to) = query.get("to") else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({ "error": "no ?to=URL" })),
        )
            .into_response();
    };
    match code {
        301 | 302 | 303 | 307 | 308 => {}
        _ => {
            let message =
                format!("{code} is not a redirect this route sends (301, 302, 303, 307, 308)");
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({ "error": message })),
            )
                .into_response();
        }
    }
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::FOUND);
    (status, [(header::LOCATION, to.as_str())], "").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_fnv1a_64() {
        // The FNV-1a 64 of the empty input is its offset basis.
        assert_eq!(digest_of(b""), "fnv1a64:cbf29ce484222325");
        assert_eq!(digest_of(b"a"), "fnv1a64:af63dc4c8601ec8c");
    }

    #[test]
    fn a_repeat_body_has_its_exact_size_and_ends() {
        use http_body::Body as _;
        let mut body = Repeat { left: 100_000 };
        assert_eq!(body.size_hint().exact(), Some(100_000));
        let mut total = 0;
        let mut cx = Context::from_waker(std::task::Waker::noop());
        while let Poll::Ready(Some(Ok(frame))) = Pin::new(&mut body).poll_frame(&mut cx) {
            total += frame.into_data().map_or(0, |d| d.len());
        }
        assert_eq!(total, 100_000);
        assert!(body.is_end_stream());
    }
}
