//! The two async functions of the pattern: `fetch_title` and `get_user`.
//!
//! They are the seed's functions, made generic over the client. Read them
//! as the seed does: each `.await` is a point where this function may pause
//! and hand its thread back to the runtime until the network answers; each
//! `?` returns early with the error, exactly as in synchronous code.

use scraper::{Html, Node, Selector};
use serde::{Deserialize, Serialize};

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::encoding::decode_html;
use crate::redirect::{Fetched, get_following};
use crate::{FetchError, LocalHttpClient, Response, Timeout, Timer, timeout};

/// A user, as the fixture server's `GET /users/{id}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: u64,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: String,
}

/// Fetches `url` and returns the page's `<title>`, or `None` if it has none.
///
/// Calling this does not send anything: it returns a future, and the request
/// goes out only when that future is awaited (or spawned). Redirects are
/// followed (10 at most, unless the client is configured otherwise), as the
/// seed's `reqwest::get` does; [`fetch_page`] says where they led.
pub async fn fetch_title<C: LocalHttpClient>(
    client: &C,
    url: &str,
) -> Result<Option<String>, FetchError> {
    // `.await` point: the task sleeps here until the whole body has arrived.
    let response = get_ok(client, url).await?;
    // Decoding and parsing are synchronous work. They run right away when
    // the future is polled, on whatever thread polls it.
    Ok(title_of(&response))
}

/// A page's title and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<'a> {
    /// The `<title>`, or `None` if the page has none.
    pub title: Option<String>,
    /// The URL the page came from: the one asked for, unless redirected.
    pub url: Cow<'a, str>,
    /// Redirects followed to get there.
    pub redirects: u32,
}

/// [`fetch_title`], with the URL the page finally came from.
pub async fn fetch_page<'a, C: LocalHttpClient>(
    client: &C,
    url: &'a str,
) -> Result<Page<'a>, FetchError> {
    let fetched = get_ok_following(client, url).await?;
    Ok(Page {
        title: title_of(&fetched.response),
        url: fetched.url,
        redirects: fetched.redirects,
    })
}

/// Fetches `url` and decodes the body as a [`User`] (JSON, so UTF-8 by
/// its RFC whatever the headers say). Redirects are followed.
pub async fn get_user<C: LocalHttpClient>(client: &C, url: &str) -> Result<User, FetchError> {
    // Send, follow redirects, fail on a non-2xx status: each `.await` is a
    // point where this task waits and its thread runs other tasks.
    let fetched = get_ok_following(client, url).await?;
    // `?` works in an async fn as anywhere: an error ends it early.
    decode_user(&fetched.url, &fetched.response.body)
}

/// GETs `url`, following redirects, and turns a final status other than
/// 2xx into [`FetchError::Status`].
pub async fn get_ok<C: LocalHttpClient>(client: &C, url: &str) -> Result<Response, FetchError> {
    Ok(get_ok_following(client, url).await?.response)
}

/// [`get_ok`], saying where the redirects led. With redirects turned off
/// ([`ClientConfig::max_redirects`](crate::ClientConfig::max_redirects)
/// 0), a 3xx is an error like any other non-2xx.
pub async fn get_ok_following<'a, C: LocalHttpClient>(
    client: &C,
    url: &'a str,
) -> Result<Fetched<'a>, FetchError> {
    let fetched = get_following(client, url).await?;
    check_status(&fetched)?;
    Ok(fetched)
}

/// [`FetchError::Status`] unless the final answer is a 2xx.
pub(crate) fn check_status(fetched: &Fetched<'_>) -> Result<(), FetchError> {
    if (200..300).contains(&fetched.response.status) {
        return Ok(());
    }
    Err(FetchError::Status {
        url: fetched.url.clone().into_owned(),
        status: fetched.response.status,
    })
}

/// The title of an HTML answer: its body decoded as a browser would
/// ([`decode_html`]: byte-order mark, `Content-Type` charset, `<meta>`,
/// else UTF-8 or windows-1252), then [`extract_title`].
pub fn title_of(response: &Response) -> Option<String> {
    let page = decode_html(&response.body, response.content_type.as_deref());
    extract_title(&page.text)
}

/// Runs a fetch of `url` under a time limit; running out is
/// [`FetchError::Timeout`].
///
/// Every network wait in this project goes through here (or through the
/// load engine, which calls this), so nothing waits forever.
pub fn within<'a, R, T, F>(
    rt: &R,
    limit: Duration,
    url: &'a str,
    fetch: F,
) -> Within<'a, F, impl Future<Output = ()> + 'static>
where
    R: Timer,
    F: Future<Output = Result<T, FetchError>>,
{
    Within {
        inner: timeout(rt, limit, fetch),
        url,
        limit,
    }
}

pin_project_lite::pin_project! {
    /// The future [`within`] returns (a struct, for the reason given at
    /// [`Timeout`](crate::Timeout)).
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct Within<'a, F, S> {
        #[pin]
        inner: Timeout<F, S>,
        url: &'a str,
        limit: Duration,
    }
}

impl<T, F, S> Future for Within<'_, F, S>
where
    F: Future<Output = Result<T, FetchError>>,
    S: Future<Output = ()>,
{
    type Output = Result<T, FetchError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        this.inner.poll(cx).map(|out| {
            out.unwrap_or_else(|| {
                Err(FetchError::Timeout {
                    url: (*this.url).to_owned(),
                    after: *this.limit,
                })
            })
        })
    }
}

/// Decodes a JSON body as a [`User`].
///
/// ```
/// let user = fetch_core::decode_user("u", br#"{"id":1,"name":"Ann","email":"a@x"}"#).unwrap();
/// assert_eq!(user.name, "Ann");
/// assert!(fetch_core::decode_user("u", b"<html>").is_err());
/// ```
pub fn decode_user(url: &str, body: &[u8]) -> Result<User, FetchError> {
    serde_json::from_slice(body).map_err(|e| FetchError::Decode {
        url: url.to_owned(),
        what: "User JSON",
        source: e.into(),
    })
}

/// The title a browser shows for `html`: what `document.title` returns.
///
/// That is the text of the first `<title>` element in the HTML namespace
/// (one inside `<svg>` does not count), with entities decoded and white
/// space collapsed. `None` when there is no such element.
///
/// ```
/// let html = "<html><head><TITLE lang=en>  Tom &amp;\n Jerry </TITLE></head></html>";
/// assert_eq!(fetch_core::extract_title(html).as_deref(), Some("Tom & Jerry"));
/// assert_eq!(fetch_core::extract_title("<p>no title</p>"), None);
/// ```
pub fn extract_title(html: &str) -> Option<String> {
    let document = Html::parse_document(html);
    let selector = title_selector();
    let title = document
        .select(selector)
        .find(|el| &*el.value().name.ns == HTML_NAMESPACE)?;
    // `document.title` takes the element's own text children only, then
    // strips and collapses ASCII white space.
    let mut text = String::new();
    for child in title.children() {
        if let Node::Text(t) = child.value() {
            text.push_str(t);
        }
    }
    Some(text.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
}

const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

fn title_selector() -> &'static Selector {
    static SELECTOR: std::sync::OnceLock<Selector> = std::sync::OnceLock::new();
    SELECTOR
        .get_or_init(|| Selector::parse("title").unwrap_or_else(|_| unreachable!("valid selector")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_entities_are_decoded() {
        let html = "<title>Caf&eacute; &lt;b&gt; &#x263A; &amp; more</title>";
        assert_eq!(extract_title(html).as_deref(), Some("Café <b> ☺ & more"));
    }

    #[test]
    fn title_tag_case_and_attributes_do_not_matter() {
        let html = r#"<HTML><HEAD><TiTlE id="t" class='x'>Upper</TiTlE></HEAD></HTML>"#;
        assert_eq!(extract_title(html).as_deref(), Some("Upper"));
    }

    #[test]
    fn white_space_is_collapsed() {
        let html = "<title>\n\t  A   long\r\n  title  </title>";
        assert_eq!(extract_title(html).as_deref(), Some("A long title"));
    }

    #[test]
    fn missing_title_is_none() {
        assert_eq!(extract_title("<html><body><h1>Hi</h1></body></html>"), None);
        assert_eq!(extract_title(""), None);
    }

    #[test]
    fn empty_title_is_an_empty_string() {
        assert_eq!(extract_title("<title>  </title>").as_deref(), Some(""));
    }

    #[test]
    fn title_inside_svg_does_not_count() {
        let only_svg = "<body><svg><title>Icon</title></svg></body>";
        assert_eq!(extract_title(only_svg), None);
        let both = "<body><svg><title>Icon</title></svg></body><title>Page</title>";
        assert_eq!(extract_title(both).as_deref(), Some("Page"));
    }

    #[test]
    fn first_title_wins() {
        let html = "<head><title>One</title><title>Two</title></head>";
        assert_eq!(extract_title(html).as_deref(), Some("One"));
    }

    #[test]
    fn title_text_is_not_markup() {
        // <title> is RCDATA: tags inside are text, entities are decoded.
        let html = "<title><b>bold</b> &amp; co</title>";
        assert_eq!(extract_title(html).as_deref(), Some("<b>bold</b> & co"));
    }

    #[test]
    fn user_json_decodes_and_ignores_extra_fields() {
        let body = br#"{"id":42,"name":"User 42","email":"user42@example.com","extra":true}"#;
        let user = decode_user("u", body).unwrap();
        assert_eq!(
            user,
            User {
                id: 42,
                name: "User 42".into(),
                email: "user42@example.com".into()
            }
        );
    }

    #[test]
    fn malformed_user_json_is_a_decode_error() {
        for body in [
            &b"{\"id\": 1, \"name\": \"trunc"[..],
            b"not json",
            b"{\"id\":\"x\"}",
            b"",
        ] {
            let err = decode_user("http://x/users/1", body).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::Decode);
            assert!(
                err.chain()
                    .starts_with("the body of http://x/users/1 is not a valid User JSON: ")
            );
        }
    }
}
