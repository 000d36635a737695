//! `make bench-search`: what one page of a search costs in a large business.
//!
//! Loads a business of `BENCH_SEARCH_CUSTOMERS` (100,000) generated customers
//! straight into a fresh table of DynamoDB Local (half of them named Maria,
//! one named Quillfeather), then reads pages and prints, for each, the calls,
//! the items read and the read capacity DynamoDB reports: a search for a rare
//! and a common word, the list's `name_prefix`, and, for comparison, the
//! list as it filtered names before the search index (a filter over the
//! business's index: `begins_with(full_name_folded, ...)`).

use std::process::ExitCode;
use std::time::Instant;

use aws_sdk_dynamodb::types::AttributeValue;
use clientele_core::{BusinessId, Customer, CustomerQuery, NewCustomer, SearchQuery, Timestamp};
use clientele_store::DynamoStore;
use clientele_store::keys;
use clientele_tests::app::fresh_table;
use clientele_tests::reads::{ReadMeter, Reads};
use clientele_tests::services::dynamodb_endpoint;
use serde_json::json;

const FIRST_NAMES: &[&str] = &[
    "Ana", "Bogdan", "Cristina", "Dan", "Elena", "Florin", "Gabriela", "Horia", "Ioana", "Jean",
];
const SYLLABLES: &[&str] = &[
    "ba", "co", "di", "fu", "ga", "le", "mi", "no", "pa", "ru", "se", "ti", "vo", "ze",
];

/// A made-up last name, different for most numbers.
fn last_name(n: usize) -> String {
    let mut name = String::new();
    let mut rest = n;
    for _ in 0..4 {
        name.push_str(SYLLABLES[rest % SYLLABLES.len()]);
        rest /= SYLLABLES.len();
    }
    let mut chars = name.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn generated(business: BusinessId, n: usize) -> Result<Customer, String> {
    let first = if n.is_multiple_of(2) {
        "Maria"
    } else {
        FIRST_NAMES[n % FIRST_NAMES.len()]
    };
    let name = if n == 7 {
        "Zenobia Quillfeather".to_owned()
    } else {
        format!("{first} {}", last_name(n))
    };
    let body = json!({
        "user_id": uuid::Uuid::new_v4().to_string(),
        "full_name": name,
        "email": format!("customer.{n}@example.com"),
        "phone": format!("+40 7{:02} {:03} {:03}", n % 100, (n / 100) % 1000, n % 997),
        "gender": "other",
    });
    let object = body.as_object().ok_or("a generated body is an object")?;
    let new = NewCustomer::from_json(object).map_err(|e| format!("a generated customer is invalid: {e:?}"))?;
    Ok(new.into_customer(business, Timestamp::now()))
}

/// Reads of one page, and how many customers it held.
struct Measured {
    what: String,
    found: usize,
    more: bool,
    reads: Reads,
}

/// One page of the list as it filtered names before the search index: a
/// filter over the business's index, 100 items a query, at most 5 queries.
async fn filtered_page(
    store_client: &aws_sdk_dynamodb::Client,
    table: &str,
    business: BusinessId,
    prefix: &str,
) -> (usize, bool) {
    let mut start = None;
    let mut found = 0;
    for _ in 0..5 {
        let Ok(output) = store_client
            .query()
            .table_name(table)
            .index_name(keys::index::BY_BUSINESS)
            .key_condition_expression("gsi1pk = :partition")
            .filter_expression("begins_with(full_name_folded, :prefix)")
            .expression_attribute_values(":partition", AttributeValue::S(keys::business_customers(business)))
            .expression_attribute_values(":prefix", AttributeValue::S(prefix.to_owned()))
            .scan_index_forward(false)
            .limit(100)
            .set_exclusive_start_key(start.take())
            .send()
            .await
        else {
            return (found, false);
        };
        found += output.items().len();
        match output.last_evaluated_key {
            Some(key) if found < 20 => start = Some(key),
            Some(_) => return (found, true),
            None => return (found, false),
        }
    }
    (found, true)
}

async fn run() -> Result<(), String> {
    let customers: usize = std::env::var("BENCH_SEARCH_CUSTOMERS")
        .ok()
        .map(|n| {
            n.parse()
                .map_err(|_| format!("BENCH_SEARCH_CUSTOMERS is not a number: {n}"))
        })
        .transpose()?
        .unwrap_or(100_000);
    let meter = ReadMeter::default();
    let client = meter.client(dynamodb_endpoint()).await;
    let table = fresh_table(&client, clientele_tests::app::Stream::Off).await;
    let store = DynamoStore::new(client.clone(), table.clone());
    let business = BusinessId::random();

    eprintln!("bench-search: loading {customers} customers into DynamoDB Local");
    let started = Instant::now();
    let mut loading = Vec::new();
    for chunk_start in (0..customers).step_by(1_000) {
        let chunk: Vec<Customer> = (chunk_start..customers.min(chunk_start + 1_000))
            .map(|n| generated(business, n))
            .collect::<Result<_, _>>()?;
        loading.push(chunk);
    }
    for group in loading.chunks(4) {
        let loads = group.iter().map(|chunk| store.load_customers(chunk));
        futures_util::future::try_join_all(loads)
            .await
            .map_err(|e| format!("loading failed: {e}"))?;
    }
    eprintln!("bench-search: loaded in {:.0} s", started.elapsed().as_secs_f64());
    meter.take();

    let mut measured = Vec::new();
    for (what, q) in [
        ("search q=quillfeather (1 match)", "quillfeather"),
        ("search q=maria (half the business)", "maria"),
        ("search q=maria quill (rare with common)", "maria quill"),
        ("search q=+40 700 (phone, first digits)", "+40 700"),
    ] {
        let search = SearchQuery::parse(q).map_err(|e| e.to_string())?;
        let filters = CustomerQuery {
            limit: 20,
            ..CustomerQuery::default()
        };
        let page = store
            .search_customers(business, &search, &filters)
            .await
            .map_err(|e| e.to_string())?;
        measured.push(Measured {
            what: what.to_owned(),
            found: page.items.len(),
            more: page.next_cursor.is_some(),
            reads: meter.take(),
        });
    }
    for (what, prefix) in [
        ("list name_prefix=zenobia (1 match)", "zenobia"),
        ("list name_prefix=maria (half)", "maria"),
    ] {
        let query = CustomerQuery {
            name_prefix: Some(prefix.to_owned()),
            limit: 20,
            ..CustomerQuery::default()
        };
        let page = store
            .list_customers(business, &query)
            .await
            .map_err(|e| e.to_string())?;
        measured.push(Measured {
            what: what.to_owned(),
            found: page.items.len(),
            more: page.next_cursor.is_some(),
            reads: meter.take(),
        });
        let (found, more) = filtered_page(&client, &table, business, prefix).await;
        measured.push(Measured {
            what: format!("  before: filtered list, name_prefix={prefix}"),
            found,
            more,
            reads: meter.take(),
        });
    }

    println!("\nOne page (limit 20) in a business of {customers} customers, DynamoDB Local:\n");
    println!("| page | customers | more | calls | items returned | items read | read units |");
    println!("|------|-----------|------|-------|----------------|------------|------------|");
    for m in &measured {
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.1} |",
            m.what,
            m.found,
            if m.more { "yes" } else { "no" },
            m.reads.calls,
            m.reads.items,
            m.reads.scanned,
            m.reads.capacity
        );
    }
    println!(
        "\n\"items read\" counts what DynamoDB read to answer (a query's scanned count, a batch read's items);\nthe filtered list reads items its filter then drops, and its 5 queries of 100 may end a page with none found."
    );
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-search: {error}");
            ExitCode::FAILURE
        }
    }
}
