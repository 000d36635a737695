//! Avatars: uploaded to the private bucket (moto's S3), served through links.

use clientele_auth::Role;
use clientele_core::BusinessId;
use clientele_tests::app::{Stream, download};
use clientele_tests::fixtures::TINY_PNG;
use clientele_tests::proxy::behind_dynamodb_proxy;
use clientele_tests::{Call, TestApp, TestResponse, customer_body, token};

/// A real 1x1 PNG (one red pixel), 70 bytes.
fn png() -> Vec<u8> {
    TINY_PNG.to_vec()
}

fn jpeg() -> Vec<u8> {
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    jpeg.extend_from_slice(b"JFIF\0rest-of-a-jpeg");
    jpeg
}

async fn customer(app: &TestApp) -> String {
    app.created(&customer_body("Pictured Pia")).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn upload(app: &TestApp, id: &str, content_type: &str, body: &[u8]) -> TestResponse {
    app.send(
        Call::post(&format!("/api/customers/{id}/avatar"))
            .bearer(&app.token(Role::Staff))
            .header("content-type", content_type)
            .bytes(body),
    )
    .await
}

fn multipart(file: &[u8], filename: &str) -> Vec<u8> {
    let mut body = b"--b0undary\r\n".to_vec();
    body.extend(format!("Content-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n").bytes());
    body.extend(b"Content-Type: application/octet-stream\r\n\r\n");
    body.extend(file);
    body.extend(b"\r\n--b0undary--\r\n");
    body
}

#[tokio::test]
async fn an_uploaded_png_is_stored_privately_and_served_through_a_link() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let response = upload(&app, &id, "image/png", &png()).await;
    assert_eq!(response.status, 200, "{}", String::from_utf8_lossy(&response.body));
    let customer = response.json();
    assert_eq!(customer["avatar_url"], format!("/api/customers/{id}/avatar"));
    assert_eq!(customer["version"], 2);
    let keys = app.objects().await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].starts_with(&format!("avatars/{}/{id}/", app.business)) && keys[0].ends_with(".png"));

    let redirect = app
        .send(Call::get(&format!("/api/customers/{id}/avatar")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(redirect.status, 302);
    assert_eq!(redirect.header("cache-control"), Some("no-store"));
    let link = redirect.header("location").unwrap();
    assert!(
        link.contains("X-Amz-Signature") && link.contains("X-Amz-Expires=300"),
        "{link}"
    );
    let (status, bytes) = download(link).await;
    assert_eq!((status, bytes.to_vec()), (200, png()), "the link serves the image");

    let events = app.items_of("Event").await;
    let updated: Vec<_> = events
        .iter()
        .filter(|e| e["event_type"].as_s().unwrap() == "customer.updated")
        .collect();
    assert_eq!(updated.len(), 1);
    assert!(
        updated[0]["detail"]
            .as_s()
            .unwrap()
            .contains("\"updatedFields\":[\"avatar_url\"]")
    );
}

#[tokio::test]
async fn a_new_avatar_replaces_the_old_image() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    assert_eq!(upload(&app, &id, "image/png", &png()).await.status, 200);
    let first = app.objects().await;
    let body = multipart(&jpeg(), "me.jpg");
    let second = upload(&app, &id, "multipart/form-data; boundary=b0undary", &body).await;
    assert_eq!(second.status, 200, "{}", String::from_utf8_lossy(&second.body));
    let now = app.objects().await;
    assert_eq!(now.len(), 1, "the previous image is removed");
    assert_ne!(now, first);
    assert!(now[0].ends_with(".jpg"), "known as a JPEG by its bytes");
}

#[tokio::test]
async fn anything_but_a_small_png_jpeg_or_webp_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let mut big = png();
    big.resize(2 * 1024 * 1024 + 1, 0);
    for (content_type, body, status) in [
        ("image/gif", b"GIF89a-a-gif".to_vec(), 415),
        ("image/png", jpeg(), 415),
        ("image/png", b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), 415),
        ("application/pdf", b"%PDF-1.7".to_vec(), 415),
        (
            "multipart/form-data; boundary=b0undary",
            multipart(b"just text", "me.png"),
            415,
        ),
        ("image/png", big.clone(), 413),
        (
            "multipart/form-data; boundary=b0undary",
            multipart(&big, "big.png"),
            413,
        ),
    ] {
        let response = upload(&app, &id, content_type, &body).await;
        assert_eq!(
            response.status,
            status,
            "{content_type}: {}",
            String::from_utf8_lossy(&response.body)
        );
        response.problem();
    }
    assert!(app.objects().await.is_empty());
    let read = app
        .send(Call::get(&format!("/api/customers/{id}")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(
        (read.json()["version"].as_u64(), read.json()["avatar_url"].is_null()),
        (Some(1), true)
    );
    let none = app
        .send(Call::get(&format!("/api/customers/{id}/avatar")).bearer(&app.token(Role::Viewer)))
        .await;
    assert_eq!(none.status, 404, "no avatar yet");
}

#[tokio::test]
async fn deleting_the_customer_deletes_every_image_under_it() {
    let app = TestApp::spawn_with_stream().await;
    let sweeps = clientele_tests::sweeps::Sweeps::new(&app).await;
    let id = customer(&app).await;
    assert_eq!(
        upload(&app, &id, "image/webp", b"RIFF\x1a\0\0\0WEBPVP8 rest")
            .await
            .status,
        200
    );
    assert_eq!(app.objects().await.len(), 1);
    // An earlier image whose delete failed when it was replaced.
    let stray = format!("avatars/{}/{id}/earlier.webp", app.business);
    app.avatars.put(&stray, b"RIFF".to_vec(), "image/webp").await.unwrap();
    let deleted = app
        .send(Call::delete(&format!("/api/customers/{id}")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(deleted.status, 204);
    assert!(sweeps.settle().await);
    assert_eq!(app.objects().await, Vec::<String>::new());
}

#[tokio::test]
async fn only_staff_of_the_business_upload() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let call = |who: &str| {
        Call::post(&format!("/api/customers/{id}/avatar"))
            .bearer(who)
            .header("content-type", "image/png")
            .bytes(&png())
    };
    assert_eq!(app.send(call(&app.token(Role::Viewer))).await.status, 403);
    assert_eq!(
        app.send(call(&token(BusinessId::random(), &[Role::Admin])))
            .await
            .status,
        404
    );
    assert!(app.objects().await.is_empty());
}

#[tokio::test]
async fn when_the_customer_cannot_be_updated_the_uploaded_image_is_removed() {
    let (app, proxy) = behind_dynamodb_proxy(Stream::Off).await;
    let id = customer(&app).await;
    proxy.fail("TransactWriteItems");
    let response = upload(&app, &id, "image/png", &png()).await;
    assert_eq!((response.status, response.header("retry-after")), (503, Some("2")));
    assert!(app.objects().await.is_empty(), "the image is not left behind");
}

#[tokio::test]
async fn uploads_count_in_the_customers_update_rate_but_an_admins_lifecycle_step_does_not() {
    let app = TestApp::spawn().await;
    let id = customer(&app).await;
    let path = format!("/api/customers/{id}");
    let limit = clientele_core::Rate::DEFAULT_UPDATE_RATE.limit;
    for n in 1..limit {
        let patched = app
            .send(
                Call::patch(&path)
                    .bearer(&app.token(Role::Staff))
                    .json(&serde_json::json!({"phone": format!("+40 712 345 67{n}")})),
            )
            .await;
        assert_eq!(patched.status, 200, "update {n}");
    }
    assert_eq!(
        upload(&app, &id, "image/png", &png()).await.status,
        200,
        "the last in the window"
    );
    let objects = app.objects().await;
    let refused = upload(&app, &id, "image/jpeg", &jpeg()).await;
    assert_eq!((refused.status, refused.problem()), (429, "rate-limited".to_owned()));
    assert!(refused.header("retry-after").is_some());
    assert_eq!(app.objects().await, objects, "the refused image is not kept");
    let validated = app
        .send(Call::post(&format!("{path}/validate")).bearer(&app.token(Role::Admin)))
        .await;
    assert_eq!(validated.status, 200, "staff uploads cannot block an admin's step");
}
