//! The routes of the fixture server.
//!
//! | route | answer |
//! |---|---|
//! | `GET /users/{id}` | `{"id":..,"name":..,"email":..}`; 404 (JSON error) for id 0 or over `u32::MAX`, 400 for a non-number |
//! | `GET /pages/{n}` | an HTML page titled `Page {n}` |
//! | `GET /delay/{ms}` | a small JSON answer after `ms` milliseconds (at most 60,000) |
//! | `GET /status/{code}` and `/status/{code}/...` | that status with a JSON body |
//! | `GET /bytes/{n}` | `n` bytes of `x` (at most 256 MiB) |
//! | `GET /malformed/...` | 200 `application/json` whose body is cut off mid-object |

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use fetch_core::User;
use serde_json::json;

/// The highest user id that exists.
pub const MAX_USER_ID: u64 = u32::MAX as u64;
/// The longest delay `/delay/{ms}` accepts, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;
/// The largest body `/bytes/{n}` sends.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Requests the server has received, for lessons and tests that need to
/// see when (or whether) a request really went out.
pub type RequestCounter = Arc<AtomicU64>;

/// The router with every route, counting requests into `counter`.
pub fn app(counter: RequestCounter) -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/pages/{n}", get(page))
        .route("/delay/{ms}", get(delay))
        .route("/status/{code}", get(status))
        .route("/status/{code}/{*rest}", get(status_prefix))
        .route("/bytes/{n}", get(bytes))
        .route("/malformed/{*rest}", get(malformed))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(counter, count))
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

async fn bytes(Path(n): Path<usize>) -> Response {
    if n > MAX_BYTES {
        return error(
            StatusCode::BAD_REQUEST,
            format!("at most {MAX_BYTES} bytes"),
        );
    }
    (
        [(header::CONTENT_TYPE, "application/octet-stream")],
        vec![b'x'; n],
    )
        .into_response()
}

async fn malformed() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"id": 1, "name": "trunc"#,
    )
        .into_response()
}

async fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "no such route".to_owned())
}
