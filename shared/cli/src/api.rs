//! The service's HTTP API as the `clientele` command calls it: a base URL
//! (`https://`, or `http://` for the local stack) and the caller's
//! credentials, a user's token or an external system's client id and secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, StatusCode};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

/// Where the API is and who calls it: the options of every command that
/// calls the API.
#[derive(Args)]
pub struct Connection {
    /// The API's base URL (the stack's `ApiUrl` output; `make run` serves it
    /// on http://127.0.0.1:9000).
    #[arg(long, env = "CLIENTELE_API_URL", default_value = "http://127.0.0.1:9000")]
    api: String,
    /// A user's token (`make token` prints one for the local stack).
    #[arg(
        long,
        env = "CLIENTELE_TOKEN",
        hide_env_values = true,
        conflicts_with = "client_id",
        required_unless_present = "client_id"
    )]
    token: Option<String>,
    /// An external system's client id (with --client-secret).
    #[arg(long, env = "CLIENTELE_CLIENT_ID", requires = "client_secret")]
    client_id: Option<String>,
    /// That client's secret.
    #[arg(long, env = "CLIENTELE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
}

/// The API, reached over HTTPS (or plain HTTP, for the local stack).
pub struct Api {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    base: Url,
    authorization: HeaderValue,
}

impl Api {
    /// An API client for `connection`; refuses a base URL that is not
    /// `http` or `https`, and credentials that cannot go in a header.
    pub fn connect(connection: &Connection) -> Result<Self, String> {
        let mut base = Url::parse(&connection.api).map_err(|e| format!("--api {}: {e}", connection.api))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(format!("--api {}: not an http or https URL", connection.api));
        }
        // Paths are joined to the base as it is, with or without a stage.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let authorization = match (&connection.token, &connection.client_id, &connection.client_secret) {
            (Some(token), _, _) => format!("Bearer {token}"),
            (None, Some(id), Some(secret)) => format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))),
            _ => return Err("give --token, or --client-id and --client-secret".to_owned()),
        };
        let mut authorization =
            HeaderValue::from_str(&authorization).map_err(|_| "the credentials hold characters a header cannot")?;
        authorization.set_sensitive(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| format!("reading this machine's trusted certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Self {
            client: Client::builder(TokioExecutor::new()).build(https),
            base,
            authorization,
        })
    }

    /// The URL of `path` (relative: `api/customers/...`) under the base.
    pub fn url(&self, path: &str) -> Result<Url, String> {
        self.base.join(path).map_err(|e| format!("{path}: {e}"))
    }

    /// Sends `body` (JSON) with `method` to `url` as the caller, and reads
    /// the JSON answer; an answer that is not a success is an error naming
    /// its status, its problem's detail and its request id.
    pub async fn call<T: DeserializeOwned>(&self, method: Method, url: Url, body: Option<&Value>) -> Result<T, String> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(AUTHORIZATION, self.authorization.clone());
        let body = match body {
            Some(body) => {
                request = request.header(CONTENT_TYPE, "application/json");
                Bytes::from(serde_json::to_vec(body).map_err(|e| e.to_string())?)
            }
            None => Bytes::new(),
        };
        let request = request.body(Full::new(body)).map_err(|e| e.to_string())?;
        let what = format!("{method} {}", url.path());
        let (status, answer) = self.send(request, &what).await?;
        if !status.is_success() {
            return Err(format!("{what} answered {}", refusal(status, &answer)));
        }
        serde_json::from_slice(&answer).map_err(|e| format!("{what} answered {status} with unexpected JSON: {e}"))
    }

    /// Stores `bytes` at a presigned upload link (which carries its own
    /// authorization) as a file of `content_type`.
    pub async fn upload(&self, link: &str, content_type: &str, bytes: Vec<u8>) -> Result<(), String> {
        let request = Request::put(link)
            .header(CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(bytes)));
        self.presigned(request, "the upload").await.map(|_| ())
    }

    /// Reads the file at a presigned download link.
    pub async fn download(&self, link: &str) -> Result<Bytes, String> {
        let request = Request::get(link).body(Full::new(Bytes::new()));
        self.presigned(request, "the download").await
    }

    /// Sends a request to a presigned link, as it is; its answer's body, or
    /// what it answered instead of a success.
    async fn presigned(&self, request: hyper::http::Result<Request<Full<Bytes>>>, what: &str) -> Result<Bytes, String> {
        let request = request.map_err(|e| format!("{what} link: {e}"))?;
        let (status, answer) = self.send(request, what).await?;
        if !status.is_success() {
            return Err(format!(
                "{what} answered {status}: {}",
                String::from_utf8_lossy(&answer)
            ));
        }
        Ok(answer)
    }

    async fn send(&self, request: Request<Full<Bytes>>, what: &str) -> Result<(StatusCode, Bytes), String> {
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("{what}: {}", chain(&e)))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{what}: reading the answer: {e}"))?;
        Ok((status, body.to_bytes()))
    }
}

/// A refusal as a person reads it: the status, and from a problem answer
/// its title, its detail, every field's error and the request id to quote.
fn refusal(status: StatusCode, answer: &[u8]) -> String {
    let Ok(problem) = serde_json::from_slice::<Value>(answer) else {
        return format!("{status}: {}", String::from_utf8_lossy(answer).trim());
    };
    let text = |name: &str| problem.get(name).and_then(Value::as_str);
    let mut said = status.to_string();
    for part in [text("title"), text("detail")].into_iter().flatten() {
        said.push_str(": ");
        said.push_str(part);
    }
    for error in problem.get("errors").and_then(Value::as_array).into_iter().flatten() {
        let field = error.get("field").and_then(Value::as_str).unwrap_or("?");
        let detail = error.get("detail").and_then(Value::as_str).unwrap_or("?");
        said.push_str(&format!("; {field}: {detail}"));
    }
    if let Some(id) = text("request_id") {
        said.push_str(&format!(" (request id {id})"));
    }
    said
}

/// An error and its causes, on one line (a connection error's own text
/// says little: its cause says what failed).
fn chain(error: &dyn std::error::Error) -> String {
    let mut said = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        said.push_str(&format!(": {next}"));
        cause = next.source();
    }
    said
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_said_with_its_detail_fields_and_request_id() {
        let answer = br#"{"type":"urn:clientele:problem:validation","title":"Invalid input","status":422,
            "detail":"the body is not valid","errors":[{"field":"format","detail":"must be csv or ndjson"}],
            "request_id":"req-7"}"#;
        assert_eq!(
            refusal(StatusCode::UNPROCESSABLE_ENTITY, answer),
            "422 Unprocessable Entity: Invalid input: the body is not valid; format: must be csv or ndjson \
             (request id req-7)"
        );
    }

    #[test]
    fn an_answer_that_is_not_json_is_said_as_it_is() {
        assert_eq!(
            refusal(StatusCode::BAD_GATEWAY, b" upstream down\n"),
            "502 Bad Gateway: upstream down"
        );
    }

    fn connection(api: &str) -> Connection {
        Connection {
            api: api.to_owned(),
            token: Some("t".to_owned()),
            client_id: None,
            client_secret: None,
        }
    }

    #[test]
    fn paths_join_under_the_base_with_or_without_a_stage() -> Result<(), String> {
        let local = Api::connect(&connection("http://127.0.0.1:9000"))?;
        assert_eq!(
            local.url("api/customers/imports")?.as_str(),
            "http://127.0.0.1:9000/api/customers/imports"
        );
        let staged = Api::connect(&connection("https://abc.execute-api.eu-west-1.amazonaws.com/prod"))?;
        assert_eq!(
            staged.url("api/customers/exports")?.as_str(),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod/api/customers/exports"
        );
        Ok(())
    }

    #[test]
    fn only_http_and_https_bases_are_taken() {
        assert!(Api::connect(&connection("ftp://example.com")).is_err());
        assert!(Api::connect(&connection("not a url")).is_err());
    }

    #[test]
    fn a_client_sends_its_id_and_secret_with_basic_authentication() -> Result<(), String> {
        let api = Api::connect(&Connection {
            api: "http://127.0.0.1:9000".to_owned(),
            token: None,
            client_id: Some("id".to_owned()),
            client_secret: Some("secret".to_owned()),
        })?;
        assert_eq!(api.authorization.to_str().ok(), Some("Basic aWQ6c2VjcmV0"));
        assert!(api.authorization.is_sensitive());
        Ok(())
    }
}
