//! The routes of the fixture server.
//!
//! | route | answer |
//! |---|---|
//! | `GET /users/{id}` | `{"id":..,"name":..,"email":..}`; 404 (JSON error) for id 0 or over `u32::MAX`, 400 for a non-number |
//! | `GET /pages/{n}` | an HTML page titled `Page {n}` |
//! | `GET /quirks/{name}` | one of [`QUIRKS`]: titles with entities, white space, only an SVG's, none, or an encoding declared in a `<meta>` only |
//! | `GET /delay/{ms}` | a small JSON answer after `ms` milliseconds (at most 60,000) |
//! | `GET /status/{code}` and `/status/{code}/...` | that status with a JSON body |
//! | `GET /bytes/{n}`, `POST /echo`, `/inspect`, `/redirect/{code}` | see [`crate::shapes`]: downloads, uploads, what a client sent, redirects |
//! | `GET /malformed/...` | 200 `application/json` whose body is cut off mid-object |
//! | `GET /version` | `{"name":"fetch-server","version":..}`: what compare checks before it loads a server it did not start |
//! | `GET /stats` | `{"requests":N,"connections":{"accepted","open","peak_open","tls","http1","http2"}}`: what clients really opened and spoke |
//! | `POST /pause/{ms}` | holds every answer (sent or not yet) until `ms` milliseconds from now (at most 60,000), as a stalled server would; answers at once itself |

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get, post};
use fetch_core::User;

use crate::{ConnectionStats, shapes};
use serde_json::json;

/// The highest user id that exists.
pub const MAX_USER_ID: u64 = u32::MAX as u64;
/// The longest delay `/delay/{ms}` accepts, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;

/// Requests the server has received, for lessons and tests that need to
/// see when (or whether) a request really went out.
pub type RequestCounter = Arc<AtomicU64>;

/// A window during which the server holds every answer: what a stalled
/// server (a GC pause, a SIGSTOP, a full disk) looks like from outside.
/// Shared by `POST /pause/{ms}` and [`crate::Server::pause`].
#[derive(Debug, Clone, Default)]
pub struct Pause {
    until: Arc<Mutex<Option<Instant>>>,
}

impl Pause {
    /// Holds every answer until `length` from now.
    pub fn start(&self, length: Duration) {
        let until = Instant::now() + length;
        let mut slot = self.until.lock().unwrap_or_else(|p| p.into_inner());
        *slot = Some(slot.map_or(until, |old| old.max(until)));
    }

    /// When the current pause ends, if one is on.
    fn until(&self) -> Option<Instant> {
        let slot = self.until.lock().unwrap_or_else(|p| p.into_inner());
        slot.filter(|until| *until > Instant::now())
    }
}

/// The router with every route, counting requests into `counter`, holding
/// answers while `pause` says so, recording `/inspect/...` requests in `log`.
pub fn app(
    counter: RequestCounter,
    pause: Pause,
    connections: Arc<ConnectionStats>,
    log: shapes::Log,
) -> Router {
    let stats = (counter.clone(), connections);
    Router::new()
        .route("/stats", get(stats_of).with_state(stats))
        .route("/version", get(version))
        .route("/pause/{ms}", post(start_pause).with_state(pause.clone()))
        .route("/users/{id}", get(user))
        .route("/pages/{n}", get(page))
        .route("/quirks/{name}", get(quirk))
        .route("/delay/{ms}", get(delay))
        .route("/status/{code}", get(status))
        .route("/status/{code}/{*rest}", get(status_prefix))
        .route("/bytes/{n}", get(shapes::bytes))
        .route("/echo", post(shapes::echo))
        .route("/inspect", get(shapes::inspected).with_state(log.clone()))
        .route("/inspect/{*rest}", any(shapes::inspect).with_state(log))
        .route("/redirect/{code}", any(shapes::redirect))
        .route("/malformed/{*rest}", get(malformed))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(pause, hold))
        .layer(axum::middleware::from_fn_with_state(counter, count))
}

/// `GET /stats`: requests received and connections by protocol.
async fn stats_of(
    State((requests, connections)): State<(RequestCounter, Arc<ConnectionStats>)>,
) -> Response {
    axum::Json(json!({
        "requests": requests.load(Ordering::Relaxed),
        "connections": connections.to_json(),
    }))
    .into_response()
}

/// `POST /pause/{ms}`: starts a pause (see [`Pause`]).
async fn start_pause(State(pause): State<Pause>, Path(ms): Path<u64>) -> Response {
    if ms > MAX_DELAY_MS {
        return error(
            StatusCode::BAD_REQUEST,
            format!("a pause is at most {MAX_DELAY_MS} ms"),
        );
    }
    pause.start(Duration::from_millis(ms));
    axum::Json(json!({ "paused_ms": ms })).into_response()
}

/// Holds the answer of a request while a pause is on: the request is read
/// at once (the connection is not refused), its answer waits for the end.
async fn hold(
    State(pause): State<Pause>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    if let Some(until) = pause.until() {
        tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
    }
    response
}

async fn count(
    State(counter): State<RequestCounter>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    counter.fetch_add(1, Ordering::Relaxed);
    next.run(request).await
}

fn error(status: StatusCode, message: String) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// The user with `id`, built from the id so any id in range exists.
pub fn user_for(id: u64) -> User {
    User {
        id,
        name: format!("User {id}"),
        email: format!("user{id}@example.com"),
    }
}

/// `GET /version`: this server's name and version, so a driver can tell a
/// fixture server of its own version from anything else on a port.
async fn version() -> Response {
    axum::Json(json!({"name": VERSION_NAME, "version": env!("CARGO_PKG_VERSION")})).into_response()
}

/// The `name` `GET /version` answers with.
pub const VERSION_NAME: &str = "fetch-server";

async fn user(Path(id): Path<String>) -> Response {
    match id.parse::<u64>() {
        Ok(id @ 1..=MAX_USER_ID) => axum::Json(user_for(id)).into_response(),
        Ok(id) => error(StatusCode::NOT_FOUND, format!("no user with id {id}")),
        Err(_) => error(
            StatusCode::BAD_REQUEST,
            format!("user id must be a number, got {id:?}"),
        ),
    }
}

async fn page(Path(n): Path<u64>) -> Html<String> {
    Html(format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>Page {n}</title>\n</head>\n<body>\n<h1>Page {n}</h1>\n\
         <p>A fixture page served by fetch-server.</p>\n\
         <a href=\"/pages/{next}\">next</a>\n</body>\n</html>\n",
        next = n + 1
    ))
}

async fn delay(Path(ms): Path<u64>) -> Response {
    if ms > MAX_DELAY_MS {
        return error(
            StatusCode::BAD_REQUEST,
            format!("delay is at most {MAX_DELAY_MS} ms"),
        );
    }
    // An async sleep: this request waits, the server thread does not.
    tokio::time::sleep(Duration::from_millis(ms)).await;
    axum::Json(json!({ "delayed_ms": ms })).into_response()
}

fn status_response(code: u16) -> Response {
    match StatusCode::from_u16(code) {
        Ok(status) => (status, axum::Json(json!({ "status": code }))).into_response(),
        Err(_) => error(
            StatusCode::BAD_REQUEST,
            format!("{code} is not a status code"),
        ),
    }
}

async fn status(Path(code): Path<u16>) -> Response {
    status_response(code)
}

async fn status_prefix(Path((code, _rest)): Path<(u16, String)>) -> Response {
    status_response(code)
}

async fn malformed() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"id": 1, "name": "trunc"#,
    )
        .into_response()
}

/// The pages of `GET /quirks/{name}`: titles as real pages write them,
/// where a naive extractor and a browser disagree (the lesson `seed-code`).
/// Each: its name, its `Content-Type`, its body.
pub const QUIRKS: &[(&str, &str, &[u8])] = &[
    (
        "entities",
        "text/html; charset=utf-8",
        b"<!doctype html><html><head><title>Tom &amp; Jerry &lt;3</title></head><body></body></html>",
    ),
    (
        "whitespace",
        "text/html; charset=utf-8",
        b"<!doctype html><html><head>\n  <title>\n    A title\n    on two lines\n  </title>\n</head><body></body></html>",
    ),
    (
        "svg",
        "text/html; charset=utf-8",
        b"<!doctype html><html><head></head><body><svg viewBox=\"0 0 8 8\"><title>Logo</title><circle r=\"4\"/></svg></body></html>",
    ),
    (
        "no-title",
        "text/html; charset=utf-8",
        b"<!doctype html><html><head></head><body><h1>A page with no title</h1></body></html>",
    ),
    (
        // windows-1252, declared in the page only: "Caf\xe9" is "Caf\u{e9}".
        "meta-charset",
        "text/html",
        b"<!doctype html><html><head><meta charset=\"windows-1252\"><title>Caf\xe9 cr\xe8me</title></head><body></body></html>",
    ),
];

/// `GET /quirks/{name}`: one of [`QUIRKS`].
async fn quirk(Path(name): Path<String>) -> Response {
    match QUIRKS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type)], *body).into_response()
        }
        None => not_found().await,
    }
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route".to_owned())
}
