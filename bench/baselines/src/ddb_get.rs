//! `ddb-get`, the SDK floor of `make bench`: the AWS SDK's default
//! configuration, a DynamoDB client and one `GetItem` during init (which
//! opens the connection, as the functions' warm-up does), then one `GetItem`
//! a request. What a function that reads one item costs, before any of the
//! service's own work.

use std::collections::HashMap;

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response, run, service_fn};

/// Reads one item of `table`; whether it is there.
async fn get(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<bool, Error> {
    let key = HashMap::from([
        ("pk".to_owned(), AttributeValue::S("BENCH#baseline".to_owned())),
        ("sk".to_owned(), AttributeValue::S("BENCH".to_owned())),
    ]);
    let read = client.get_item().table_name(table).set_key(Some(key)).send().await?;
    Ok(read.item.is_some())
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let table = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME is not set")?;
    let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    get(&client, &table).await?;
    run(service_fn(|_request: Request| {
        let (client, table) = (&client, table.as_str());
        async move {
            let found = get(client, table).await?;
            Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(Body::from(format!("{{\"found\":{found}}}")))
                .map_err(Error::from)
        }
    }))
    .await
}
