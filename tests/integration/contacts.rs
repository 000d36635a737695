//! Contacts: the people at a customer, their consent and the customer's
//! primary contact, against DynamoDB Local.

use clientele_auth::{Principal, Role};
use clientele_core::BusinessId;
use clientele_store::items::entity;
use clientele_tests::delivery::EventFlow;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};
use serde_json::{Value, json};

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap().to_owned()
}

async fn customer(app: &TestApp, name: &str) -> String {
    id(&app.created(&customer_body(name)).await)
}

fn contact_body(customer: &str, name: &str, email: &str) -> Value {
    json!({
        "customer_id": customer, "full_name": name, "role": "Buyer",
        "emails": [{"address": email, "label": "work"}],
        "phones": [{"number": "+40 712 345 679", "label": "mobile"}],
        "preferred_channel": "email",
        "consent": {"email": {"marketing": "opted_in", "source": "signed order form"}}
    })
}

async fn add(app: &TestApp, body: &Value) -> TestResponse {
    app.send(Call::post("/api/contacts").bearer(&app.token(Role::Staff)).json(body))
        .await
}

async fn added(app: &TestApp, body: &Value) -> Value {
    let response = add(app, body).await;
    assert_eq!(response.status, 201, "{}", String::from_utf8_lossy(&response.body));
    let contact = response.json();
    assert_eq!(
        response.header("location").unwrap(),
        format!("/api/contacts/{}", id(&contact))
    );
    assert_eq!(response.header("etag").unwrap(), "\"1\"");
    contact
}

async fn read(app: &TestApp, path: &str) -> Value {
    let response = app.send(Call::get(path).bearer(&app.token(Role::Viewer))).await;
    assert_eq!(
        response.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response.json()
}

#[tokio::test]
async fn a_contact_is_added_read_replaced_and_removed_with_its_consent_recorded() {
    let app = TestApp::spawn().await;
    let customer = customer(&app, "Contact Holder").await;
    let contact = added(&app, &contact_body(&customer, "Ioana Popescu", "ioana@example.com")).await;
    assert_eq!(contact["customer_id"], customer.as_str());
    assert_eq!(contact["primary"], false);
    assert_eq!(contact["consent"]["email"]["marketing"], "opted_in");
    assert_eq!(contact["consent"]["email"]["recorded_by"], "user:test-user");
    assert_eq!(contact["consent"]["sms"], Value::Null);
    let path = format!("/api/contacts/{}", id(&contact));
    assert_eq!(read(&app, &path).await, contact);
    let listed = read(&app, &format!("/api/contacts/customer/{customer}")).await;
    assert_eq!(listed["items"], json!([contact.clone()]));

    // Replaced: consent withdrawn by another principal, the phone gone.
    let mut body = contact_body(&customer, "Ioana Popescu", "ioana@example.com");
    body["consent"] = json!({"email": {"marketing": "opted_out", "source": "phone call"}});
    body.as_object_mut().unwrap().remove("phones");
    let stale = app
        .send(
            Call::new("PUT", &path)
                .bearer(&app.token(Role::Admin))
                .header("if-match", "\"7\"")
                .json(&body),
        )
        .await;
    assert_eq!(stale.status, 412);
    let another = Principal::user("another-admin", app.business, vec![Role::Admin]);
    let replaced = app
        .send(
            Call::new("PUT", &path)
                .authorized_as(&another)
                .header("if-match", "\"1\"")
                .json(&body),
        )
        .await;
    assert_eq!(replaced.status, 200);
    let replaced = replaced.json();
    assert_eq!(replaced["version"], 2);
    assert_eq!(replaced["phones"], json!([]));
    assert_eq!(replaced["consent"]["email"]["marketing"], "opted_out");
    assert_eq!(replaced["consent"]["email"]["recorded_by"], "user:another-admin");
    let again = app
        .send(Call::new("PUT", &path).bearer(&app.token(Role::Staff)).json(&body))
        .await;
    assert_eq!(again.json()["version"], 2, "nothing changed, nothing written");

    // The consent change is in the customer's audit trail.
    let trail = read_as_admin(&app, &format!("/api/customers/{customer}/audit")).await;
    let actions: Vec<(&str, Value)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["fields"].clone()))
        .collect();
    assert!(
        actions.contains(&("customer.contact.updated", json!(["phones", "consent"]))),
        "{actions:?}"
    );

    // Moving it to another customer is refused.
    let mut elsewhere = body.clone();
    elsewhere["customer_id"] = json!(customer_body_id(&app).await);
    let moved = app
        .send(Call::new("PUT", &path).bearer(&app.token(Role::Staff)).json(&elsewhere))
        .await;
    assert_eq!(moved.status, 422);
    assert_eq!(moved.problem_fields(), ["customer_id"]);

    assert_eq!(
        app.send(Call::delete(&path).bearer(&app.token(Role::Staff)))
            .await
            .status,
        403
    );
    assert_eq!(
        app.send(Call::delete(&path).bearer(&app.token(Role::Admin)))
            .await
            .status,
        204
    );
    assert_eq!(
        app.send(Call::get(&path).bearer(&app.token(Role::Viewer))).await.status,
        404
    );
    for kind in [entity::CONTACT, entity::CONTACT_BY_ID, entity::CONTACT_EMAIL_CLAIM] {
        assert!(app.items_of(kind).await.is_empty(), "{kind}");
    }
}

async fn read_as_admin(app: &TestApp, path: &str) -> Value {
    let response = app.send(Call::get(path).bearer(&app.token(Role::Admin))).await;
    assert_eq!(response.status, 200);
    response.json()
}

async fn customer_body_id(app: &TestApp) -> String {
    customer(app, "Other Holder").await
}

#[tokio::test]
async fn an_email_belongs_to_one_contact_of_a_customer_and_bad_input_changes_nothing() {
    let app = TestApp::spawn().await;
    let (first, second) = (
        customer(&app, "First Holder").await,
        customer(&app, "Second Holder").await,
    );
    added(&app, &contact_body(&first, "Ana One", "shared@example.com")).await;
    let taken = add(&app, &contact_body(&first, "Ana Two", "SHARED@example.com")).await;
    assert_eq!(taken.status, 409);
    assert_eq!(taken.problem_fields(), ["emails[0].address"]);
    added(&app, &contact_body(&second, "Ana Elsewhere", "shared@example.com")).await;

    let bad = add(
        &app,
        &json!({"customer_id": first, "full_name": "", "emails": [{"address": "nope"}],
            "consent": {"fax": {"marketing": "opted_in", "source": "x"}}, "primary": true}),
    )
    .await;
    assert_eq!(bad.status, 422);
    assert_eq!(
        bad.problem_fields(),
        ["primary", "full_name", "emails[0].address", "consent.fax"]
    );
    let nobody = add(
        &app,
        &contact_body(&uuid::Uuid::new_v4().to_string(), "Nobody's", "n@example.com"),
    )
    .await;
    assert_eq!(nobody.status, 404);
    let foreign = app
        .send(
            Call::post("/api/contacts")
                .bearer(&token(BusinessId::random(), &[Role::Staff]))
                .json(&contact_body(&first, "Foreign", "f@example.com")),
        )
        .await;
    assert_eq!(foreign.status, 404, "another business's customer is not found");
    assert_eq!(app.items_of(entity::CONTACT).await.len(), 2);

    // The customer's own PATCH and PUT cannot set its primary contact.
    let patch = app
        .send(
            Call::patch(&format!("/api/customers/{first}"))
                .bearer(&app.token(Role::Staff))
                .json(&json!({"primary_contact_id": uuid::Uuid::new_v4().to_string()})),
        )
        .await;
    assert_eq!(patch.status, 422);
    assert_eq!(patch.problem_fields(), ["primary_contact_id"]);
}

#[tokio::test]
async fn one_primary_contact_at_most_even_when_two_are_made_primary_at_once() {
    let app = TestApp::spawn_with_stream().await;
    let flow = EventFlow::new(&app).await;
    let customer = customer(&app, "Primary Holder").await;
    let a = added(&app, &contact_body(&customer, "Alma Primary", "alma@example.com")).await;
    let b = added(&app, &contact_body(&customer, "Bela Primary", "bela@example.com")).await;
    let primary = |contact: &Value| Call::new("PUT", &format!("/api/contacts/{}/primary", id(contact)));
    let staff = app.token(Role::Staff);
    let (one, two) = tokio::join!(
        app.send(primary(&a).bearer(&staff)),
        app.send(primary(&b).bearer(&staff))
    );
    assert_eq!((one.status, two.status), (200, 200));
    let record = read(&app, &format!("/api/customers/{customer}")).await;
    let chosen = record["primary_contact_id"].as_str().unwrap().to_owned();
    assert!(chosen == id(&a) || chosen == id(&b));
    let listed = read(&app, &format!("/api/contacts/customer/{customer}")).await;
    let primaries: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["primary"] == true)
        .map(id)
        .collect();
    assert_eq!(primaries, std::slice::from_ref(&chosen), "exactly one");

    // Setting it again changes nothing; removing it leaves none.
    let version = record["version"].as_u64().unwrap();
    let again = app
        .send(Call::new("PUT", &format!("/api/contacts/{chosen}/primary")).bearer(&staff))
        .await;
    assert_eq!(again.json()["primary"], true);
    assert_eq!(
        read(&app, &format!("/api/customers/{customer}")).await["version"],
        version
    );
    let removed = app
        .send(Call::delete(&format!("/api/contacts/{chosen}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(removed.status, 204);
    let record = read(&app, &format!("/api/customers/{customer}")).await;
    assert_eq!(record["primary_contact_id"], Value::Null, "none is picked in its place");
    let left = read(&app, &format!("/api/contacts/customer/{customer}")).await;
    assert_eq!(left["items"].as_array().unwrap().len(), 1);
    assert_eq!(left["items"][0]["primary"], false);

    let events = flow.deliver().await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["detail-type"].as_str()).collect();
    for kind in [
        "customer.contact.added",
        "customer.contact.primary_changed",
        "customer.contact.removed",
    ] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    assert!(
        !kinds.contains(&"customer.updated"),
        "choosing a primary is not a customer update"
    );
    for event in &events {
        clientele_tests::delivery::assert_matches_schema(event);
        let text = event.to_string();
        for personal in ["Alma", "alma@", "Bela", "+40", "signed order form"] {
            assert!(!text.contains(personal), "{personal:?} in {text}");
        }
    }
    let to_none = events
        .iter()
        .find(|e| e["detail-type"] == "customer.contact.primary_changed" && e["detail"]["contactId"].is_null())
        .expect("the primary's removal says so");
    assert_eq!(to_none["detail"]["previousContactId"], chosen.as_str());
}

#[tokio::test]
async fn contacts_are_the_businesss_own_and_go_with_their_customer() {
    let app = TestApp::spawn().await;
    let customer = customer(&app, "Erased Holder").await;
    let contact = added(&app, &contact_body(&customer, "Gone Contact", "gone@example.com")).await;
    let path = format!("/api/contacts/{}", id(&contact));
    let elsewhere = token(BusinessId::random(), &[Role::Admin]);
    for call in [
        Call::get(&path),
        Call::new("PUT", &path).json(&json!({"full_name": "Taken Over"})),
        Call::delete(&path),
        Call::new("PUT", &format!("{path}/primary")),
        Call::get(&format!("/api/contacts/customer/{customer}")),
    ] {
        assert_eq!(app.send(call.bearer(&elsewhere)).await.status, 404);
    }

    let admin = app.token(Role::Admin);
    let export = app
        .send(
            Call::post("/api/gdpr/export")
                .bearer(&admin)
                .json(&json!({"customer_id": customer})),
        )
        .await
        .json();
    assert_eq!(
        export["contacts"].as_array().unwrap().len(),
        3,
        "{}",
        export["contacts"]
    );
    for kind in ["Contact", "ContactById", "ContactEmailClaim"] {
        assert_eq!(export["items"][kind], 1, "{kind}");
    }
    assert!(export["contacts"].to_string().contains("gone@example.com"));
    let erase = app
        .send(
            Call::post("/api/gdpr/delete")
                .bearer(&admin)
                .json(&json!({"customer_id": customer})),
        )
        .await;
    assert_eq!(erase.status, 200);
    assert!(
        export["search_terms"].to_string().contains("w:gone@example.com"),
        "the contact's terms are exported: {}",
        export["search_terms"]
    );
    for kind in [
        entity::CONTACT,
        entity::CONTACT_BY_ID,
        entity::CONTACT_EMAIL_CLAIM,
        entity::CONTACT_TERM,
    ] {
        assert!(app.items_of(kind).await.is_empty(), "{kind}");
    }
    assert_eq!(app.send(Call::get(&path).bearer(&admin)).await.status, 404);
}

#[tokio::test]
async fn the_checker_holds_contacts_to_their_pointers_claims_and_count() {
    use clientele_core::{ContactId, CustomerId, Timestamp};
    use clientele_store::keys;

    let app = TestApp::spawn().await;
    let holder = customer(&app, "Checked Holder").await;
    let kept = added(&app, &contact_body(&holder, "Kept Contact", "kept@example.com")).await;
    let broken = added(&app, &contact_body(&holder, "Broken Contact", "broken@example.com")).await;
    let gone = added(&app, &contact_body(&holder, "Gone Contact", "gone@example.com")).await;
    let path = format!("/api/contacts/{}", id(&gone));
    assert_eq!(
        app.send(Call::delete(&path).bearer(&app.token(Role::Admin)))
            .await
            .status,
        204
    );
    let found = app.store.violations(Timestamp::now()).await.unwrap();
    assert!(found.is_empty(), "{found:#?}");

    let (customer, broken) = (
        CustomerId::parse(&holder).unwrap(),
        ContactId::parse(&id(&broken)).unwrap(),
    );
    app.delete_raw(&keys::contact_by_id(broken)).await;
    app.delete_raw(&keys::contact_email(customer, "broken@example.com"))
        .await;
    app.set_number_raw(&keys::counts(customer), "contacts", 9).await;
    let kept_id = ContactId::parse(&id(&kept)).unwrap();
    app.delete_raw(&keys::contact_term(customer, kept_id, "w:kept")).await;
    let found = app.violations().await;
    let says = |words: &[&str]| found.iter().any(|v| words.iter().all(|w| v.contains(w)));
    assert!(says(&[&broken.to_string(), "pointer by id is missing"]), "{found:#?}");
    assert!(
        says(&[&broken.to_string(), "claim on its email broken@example.com is missing"]),
        "{found:#?}"
    );
    assert!(says(&[&holder, "counts 9 contacts, has 2"]), "{found:#?}");
    assert!(
        says(&[&id(&kept), "search terms are not its record's", "w:kept"]),
        "{found:#?}"
    );
    assert_eq!(found.len(), 4, "{found:#?}");
}

async fn search(app: &TestApp, query: &str) -> TestResponse {
    let call = Call::get(&format!("/api/contacts/search?{query}")).bearer(&app.token(Role::Viewer));
    app.send(call).await
}

async fn found(app: &TestApp, query: &str) -> Vec<String> {
    let response = search(app, query).await;
    assert_eq!(
        response.status,
        200,
        "{query}: {}",
        String::from_utf8_lossy(&response.body)
    );
    let mut names: Vec<String> = response.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["full_name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn contacts_are_found_by_name_email_and_phone_in_the_business_or_one_customer() {
    let app = TestApp::spawn().await;
    let (acme, beta) = (customer(&app, "Acme Holder").await, customer(&app, "Beta Holder").await);
    let mut popescu = contact_body(&acme, "Ioana Popescu", "ioana.popescu@acme.example");
    popescu["phones"] = json!([{"number": "+40 712 345 679"}]);
    let popescu = added(&app, &popescu).await;
    let mut ionescu = contact_body(&acme, "Mihai Ionescu", "m.ionescu@acme.example");
    ionescu["phones"] = json!([{"number": "+40 733 000 111"}]);
    let ionescu = added(&app, &ionescu).await;
    let mut radu = contact_body(&beta, "Ioana Radu", "radu@beta.example");
    radu["phones"] = json!([]);
    added(&app, &radu).await;
    // Another business's contact of the same name is never found.
    let other_business = token(BusinessId::random(), &[Role::Staff]);
    let made = Call::post("/api/customers/")
        .bearer(&other_business)
        .json(&customer_body("Elsewhere Holder"));
    let elsewhere = app.send(made).await.json();
    let mut other = contact_body(&id(&elsewhere), "Ioana Elsewhere", "ioana@elsewhere.example");
    other["phones"] = json!([]);
    let call = Call::post("/api/contacts").bearer(&other_business).json(&other);
    assert_eq!(app.send(call).await.status, 201);

    assert_eq!(found(&app, "q=ioana").await, ["Ioana Popescu", "Ioana Radu"]);
    assert_eq!(found(&app, "q=IOANA").await, ["Ioana Popescu", "Ioana Radu"]);
    assert_eq!(
        found(&app, &format!("q=ioana&customer_id={acme}")).await,
        ["Ioana Popescu"]
    );
    assert_eq!(
        found(&app, "q=ioana%20pop").await,
        ["Ioana Popescu"],
        "every word must match"
    );
    assert_eq!(
        found(&app, "q=ioana.popescu").await,
        ["Ioana Popescu"],
        "the email's local part"
    );
    assert_eq!(
        found(&app, "q=m.ionescu%40acme.example").await,
        ["Mihai Ionescu"],
        "the whole email"
    );
    assert_eq!(
        found(&app, "q=345%20679").await,
        ["Ioana Popescu"],
        "the phone's last digits"
    );
    assert_eq!(
        found(&app, "q=%2B40%207").await,
        ["Ioana Popescu", "Mihai Ionescu"],
        "its first digits"
    );
    assert!(found(&app, "q=nobody").await.is_empty());

    // Pages: one contact each, the cursor going on, refused by another query.
    let first = search(&app, "q=ioana&limit=1").await.json();
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = search(&app, &format!("q=ioana&limit=1&cursor={cursor}")).await.json();
    let mut names = vec![
        first["items"][0]["full_name"].clone(),
        second["items"][0]["full_name"].clone(),
    ];
    names.sort_by_key(|n| n.to_string());
    assert_eq!(names, [json!("Ioana Popescu"), json!("Ioana Radu")]);
    if let Some(next) = second["next_cursor"].as_str() {
        let third = search(&app, &format!("q=ioana&limit=1&cursor={next}")).await.json();
        assert_eq!(third["items"], json!([]));
    }
    assert_eq!(search(&app, &format!("q=radu&cursor={cursor}")).await.status, 400);

    // A change is found as it is now; a removed contact is not found.
    let path = format!("/api/contacts/{}", id(&popescu));
    let mut renamed = contact_body(&acme, "Ioana Vasile", "ioana.popescu@acme.example");
    renamed["phones"] = json!([{"number": "+40 712 345 679"}]);
    let replace = Call::new("PUT", &path).bearer(&app.token(Role::Staff)).json(&renamed);
    assert_eq!(app.send(replace).await.status, 200);
    assert!(found(&app, "q=popescu").await.is_empty(), "the old name is not found");
    assert_eq!(found(&app, "q=vasile").await, ["Ioana Vasile"]);
    let remove = Call::delete(&format!("/api/contacts/{}", id(&ionescu))).bearer(&app.token(Role::Admin));
    assert_eq!(app.send(remove).await.status, 204);
    assert!(found(&app, "q=mihai").await.is_empty());
    assert!(
        app.items_of(entity::CONTACT_TERM)
            .await
            .iter()
            .all(|t| { t["contact_id"].as_s().unwrap() != &id(&ionescu) })
    );

    // Bad input is named; another business's customer is not found.
    for (query, name) in [
        ("", "q"),
        ("q=a", "q"),
        ("q=ioana&customer_id=nope", "customer_id"),
        ("q=ioana&limit=0", "limit"),
        ("q=ioana&sort=name", "sort"),
    ] {
        let response = search(&app, query).await;
        assert_eq!(response.status, 400, "{query}");
        let fields: Vec<Value> = response.json()["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].clone())
            .collect();
        assert_eq!(fields, [json!(name)], "{query}");
    }
    let foreign = search(&app, &format!("q=ioana&customer_id={}", id(&elsewhere))).await;
    assert_eq!(foreign.status, 404);
    assert!(app.violations().await.is_empty());
}
