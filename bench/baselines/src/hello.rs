//! `hello`, the floor of `make bench`: a bare `lambda_http` function that
//! answers every request with a fixed body. No SDK, no settings, no logs:
//! what Rust on Lambda costs before any work.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    run(service_fn(|_request: Request| async {
        Response::builder()
            .status(200)
            .header("content-type", "text/plain")
            .body(Body::from("hello"))
            .map_err(Error::from)
    }))
    .await
}
