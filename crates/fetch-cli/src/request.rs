//! `load`'s request options (`-m`, `-H`, `--body`, `--body-file`, `-T`,
//! `-a`, `--url-file`), checked and turned into the [`RequestSpec`] every
//! request of the run sends.
//!
//! Values may be secrets, so no message here repeats one: a malformed
//! header is named by its name, `-a` by its flag. That is also why these
//! are parsed here rather than by clap, whose errors quote the value.
//!
//! # Layout
//! - [`RequestArgs`]: the options, as clap reads them.
//! - [`RequestArgs::spec`]: the checked request, or a [`UsageError`].
//! - [`url_file`]: a `--url-file` read into a [`UrlTemplate`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use fetch_core::{HeaderValue, Headers, Method, RequestSpec, UrlTemplate, header};

use crate::UsageError;

/// The options of `load` that shape each request, after oha's.
#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// Method of every request [default: GET, or POST when a body is given].
    #[arg(short = 'm', long, value_name = "METHOD")]
    pub(crate) method: Option<String>,

    /// A header every request sends, "Name: value"; repeat for more. It replaces the client's own Host, User-Agent or Accept. Reports show its name, never its value.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    pub(crate) headers: Vec<String>,

    /// The body of every request.
    #[arg(long, value_name = "TEXT", conflicts_with = "body_file")]
    pub(crate) body: Option<String>,

    /// The body of every request, read from this file once.
    #[arg(long, value_name = "PATH")]
    pub(crate) body_file: Option<PathBuf>,

    /// The Content-Type of the body (as -H "Content-Type: TYPE").
    #[arg(short = 'T', long, value_name = "TYPE")]
    pub(crate) content_type: Option<String>,

    /// Basic authentication, USER:PASSWORD, sent as Authorization: Basic (a URL's user:password@ does the same). Never printed.
    #[arg(short = 'a', long, value_name = "USER:PASSWORD")]
    pub(crate) basic_auth: Option<String>,
}

impl RequestArgs {
    /// The request every request of the run sends.
    pub(crate) fn spec(&self) -> Result<RequestSpec, UsageError> {
        let mut headers = Headers::new();
        for line in &self.headers {
            headers
                .push_line(line)
                .map_err(|e| UsageError(format!("-H: {e}")))?;
        }
        if let Some(content_type) = &self.content_type {
            if headers.contains(&header::CONTENT_TYPE) {
                return Err(UsageError(
                    "-T and -H \"Content-Type: ...\" both set the Content-Type: give one"
                        .to_owned(),
                ));
            }
            let value = HeaderValue::from_str(content_type).map_err(|_| {
                UsageError("-T: a Content-Type is visible ASCII, with no line breaks".to_owned())
            })?;
            headers.push(header::CONTENT_TYPE, value);
        }
        if let Some(auth) = &self.basic_auth {
            if headers.contains(&header::AUTHORIZATION) {
                return Err(UsageError(
                    "-a and -H \"Authorization: ...\" both set the Authorization: give one"
                        .to_owned(),
                ));
            }
            let (user, password) = match auth.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (auth.as_str(), None),
            };
            headers.push(
                header::AUTHORIZATION,
                fetch_core::basic_auth(user, password),
            );
        }
        let body = match (&self.body, &self.body_file) {
            (Some(text), _) => bytes::Bytes::from(text.clone().into_bytes()),
            (None, Some(path)) => read(path, "--body-file")?.into(),
            (None, None) => bytes::Bytes::new(),
        };
        let given_body = self.body.is_some() || self.body_file.is_some();
        let method = match &self.method {
            Some(method) => Method::from_bytes(method.as_bytes()).map_err(|_| {
                UsageError(format!(
                    "-m: {method:?} is not an HTTP method (a token such as GET, POST, PUT, DELETE)"
                ))
            })?,
            None if given_body => Method::POST,
            None => Method::GET,
        };
        Ok(RequestSpec {
            method,
            headers: Arc::new(headers),
            body,
        })
    }
}

/// The URLs of a `--url-file`: one per line, taken in turn. An unreadable
/// file, a line that is not a URL and a file with no URL are usage errors.
pub(crate) fn url_file(path: &Path) -> Result<UrlTemplate, UsageError> {
    let bytes = read(path, "--url-file")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| UsageError(format!("--url-file {}: not UTF-8 text", path.display())))?;
    let name = path.display().to_string();
    match UrlTemplate::list(&name, &text) {
        Ok(Some(urls)) => Ok(urls),
        Ok(None) => Err(UsageError(format!(
            "--url-file {name} holds no URL (one per line; blank lines and # comments are skipped)"
        ))),
        Err(e) => Err(UsageError(format!("--url-file {name}: {}", e.chain()))),
    }
}

/// A file's bytes, or a usage error naming `flag` and the cause.
fn read(path: &Path, flag: &str) -> Result<Vec<u8>, UsageError> {
    std::fs::read(path)
        .map_err(|e| UsageError(format!("{flag}: could not read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> RequestArgs {
        RequestArgs {
            method: None,
            headers: Vec::new(),
            body: None,
            body_file: None,
            content_type: None,
            basic_auth: None,
        }
    }

    #[test]
    fn a_body_makes_a_post_unless_a_method_is_given() {
        let spec = RequestArgs {
            body: Some("{}".into()),
            content_type: Some("application/json".into()),
            ..args()
        }
        .spec()
        .unwrap();
        assert_eq!(spec.method, Method::POST);
        assert_eq!(spec.headers.names(), ["content-type"]);
        assert_eq!(&spec.body[..], b"{}");
        let put = RequestArgs {
            method: Some("PUT".into()),
            ..args()
        };
        assert_eq!(put.spec().unwrap().method, Method::PUT);
        assert_eq!(args().spec().unwrap().method, Method::GET);
    }

    #[test]
    fn mistakes_are_usage_errors_that_never_quote_a_secret() {
        for bad in [
            RequestArgs {
                headers: vec!["X-Key secret-value".into()],
                ..args()
            },
            RequestArgs {
                headers: vec![
                    "X-Key: secret-value\r\n".into(),
                    "Bad Name: secret-value".into(),
                ],
                ..args()
            },
            RequestArgs {
                basic_auth: Some("u:secret-value".into()),
                headers: vec!["Authorization: Bearer secret-value".into()],
                ..args()
            },
            RequestArgs {
                method: Some("NOT A METHOD".into()),
                ..args()
            },
            RequestArgs {
                body_file: Some("/no/such/secret-value-file".into()),
                ..args()
            },
        ] {
            let UsageError(message) = bad.spec().unwrap_err();
            assert!(
                !message.contains("secret-value") || message.contains("secret-value-file"),
                "{message}"
            );
        }
        assert!(url_file(Path::new("/no/such/file")).is_err());
    }
}
