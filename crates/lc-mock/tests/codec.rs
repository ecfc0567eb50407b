//! The mock and a client share one codec: typed requests encoded by `lc_types` (its Web
//! `HttpRequest` and RTM `RequestFrame`) are answered by the mock, and its answers decode with
//! `lc_types` (`web::decode_response`, `Frame` + `ResponseFrame::decode_response`,
//! `PushFrame::decode_any`) into the typed responses, pushes and API errors.

// Optional fields are set by assignment: generated structs are `#[non_exhaustive]` for users.
#![allow(clippy::field_reassign_with_default)]

mod common;

use common::{http_raw, Rtm};
use futures_util::SinkExt;
use lc_mock::{Config, MockServer};
use lc_types::web::{self, Body, FilePart, HttpRequest};
use lc_types::{v3_6, v3_7, ApiVersion, ErrorType, Frame, PushSubscription, Region, RequestFrame, ResponseError, VersionedPush};
use tokio_tungstenite::tungstenite::Message;

/// Sends `request` to the mock, with `token` when given; (status, body).
async fn send(server: &MockServer, request: &HttpRequest, token: Option<&str>) -> (u16, Vec<u8>) {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut headers: Vec<(&str, &str)> = request.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(auth) = &auth {
        headers.push(("Authorization", auth));
    }
    let content_type;
    let body = match &request.body {
        Body::Json(bytes) => bytes.clone(),
        Body::Multipart(part) => {
            content_type = FilePart::content_type_header("lc-test-boundary");
            headers.push(("Content-Type", &content_type));
            part.multipart_body("lc-test-boundary", &vec![b'x'; part.len as usize])
        }
        _ => Vec::new(),
    };
    http_raw(server, request.method.as_str(), &request.path_and_query(), &headers, &body).await
}

#[tokio::test]
async fn web_requests_and_answers_go_through_lc_types() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let org = server.organization_id();
    let region = Region::of_token(&customer.token);

    // POST with a JSON body.
    let request = HttpRequest::new(&v3_6::customer::GetCustomerRequest::default(), org, region.as_ref()).unwrap();
    assert_eq!(request.header("X-Region"), Some("dal"));
    let (status, body) = send(&server, &request, Some(&customer.token)).await;
    let me = web::decode_response::<v3_6::customer::GetCustomerRequest>(status, &body).unwrap();
    assert_eq!(serde_json::to_value(&me).unwrap()["id"], customer.id.as_str());

    // An API error keeps its type, status and raw body.
    let (status, body) = send(&server, &request, Some("dal:not-a-token")).await;
    let Err(ResponseError::Api(e)) = web::decode_response::<v3_6::customer::GetCustomerRequest>(status, &body) else {
        panic!("{}", String::from_utf8_lossy(&body))
    };
    assert_eq!(
        (e.kind(), e.status(), e.raw().as_bytes()),
        (&ErrorType::Authentication, Some(401), &body[..])
    );

    // GET with the request in the query, read back by the mock with the same codec.
    let mut properties = v3_6::customer::ListGroupPropertiesRequest::new(0);
    properties.namespace = Some("no such namespace".into());
    let request = HttpRequest::new(&properties, org, None).unwrap();
    assert!(
        request.query_string().contains("namespace=no%20such%20namespace"),
        "{}",
        request.query_string()
    );
    let (status, body) = send(&server, &request, None).await;
    let listed = web::decode_response::<v3_6::customer::ListGroupPropertiesRequest>(status, &body).unwrap();
    assert_eq!(serde_json::to_value(&listed).unwrap(), serde_json::json!({}));
    let mut dynamic = v3_7::customer::GetDynamicConfigurationRequest::default();
    dynamic.test = Some(true);
    dynamic.group_id = Some(0);
    let request = HttpRequest::new(&dynamic, org, region.as_ref()).unwrap();
    let (status, body) = send(&server, &request, Some(&customer.token)).await;
    web::decode_response::<v3_7::customer::GetDynamicConfigurationRequest>(status, &body).unwrap();
    // A wrongly typed query value is the mock's `validation` error.
    let bad = HttpRequest::from_parts(
        lc_types::ChatApi::Customer,
        ApiVersion::V3_6,
        "list_group_properties",
        lc_types::WebMethod::Get,
        &serde_json::json!({"id": "two"}),
        org,
        None,
    )
    .unwrap();
    let (status, body) = send(&server, &bad, None).await;
    let err = web::decode_response::<v3_6::customer::ListGroupPropertiesRequest>(status, &body).unwrap_err();
    assert_eq!(
        (err.api_error().map(|e| e.kind()), err.status()),
        (Some(&ErrorType::Validation), Some(400))
    );

    // upload_file as multipart.
    let request = HttpRequest::upload_file(
        lc_types::ChatApi::Customer,
        ApiVersion::V3_6,
        org,
        region.as_ref(),
        FilePart::new("notes.txt", "text/plain", 64),
    );
    let (status, body) = send(&server, &request, Some(&customer.token)).await;
    let uploaded: v3_6::customer::UploadFileResponse = web::decode(status, &body).unwrap();
    assert!(uploaded.url.ends_with("/notes.txt"), "{}", uploaded.url);
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}

#[tokio::test]
async fn rtm_frames_go_through_lc_types() {
    let server = MockServer::start(Config::default()).await.unwrap();
    let customer = server.issue_customer();
    let mut rtm = Rtm::connect(&server, "3.6").await;
    let send = async |rtm: &mut Rtm, frame: RequestFrame| {
        let id = frame.request_id.clone().unwrap();
        rtm.socket
            .send(Message::Text(serde_json::to_string(&frame).unwrap().into()))
            .await
            .unwrap();
        let text = rtm.response(&id).await.to_string();
        let Frame::Response(response) = lc_types::from_str::<Frame>(&text).unwrap() else {
            panic!("{text}")
        };
        assert_eq!(response.request_id.as_deref(), Some(id.as_str()));
        response
    };

    // Login, subscribing with push types: `incoming_chat` in 3.6, every push of 3.7.
    let mut login = v3_6::customer::LoginRequest::new(format!("Bearer {}", customer.token));
    login.pushes = Some(
        PushSubscription::new()
            .subscribe::<v3_6::customer::IncomingChatPush>()
            .all(ApiVersion::V3_7)
            .into(),
    );
    let frame = RequestFrame::encode(&login, Some("login-1".into()), ApiVersion::V3_6).unwrap();
    assert_eq!(frame.version, None);
    let response = send(&mut rtm, frame).await;
    let logged_in = response.decode_response::<v3_6::customer::LoginRequest>().unwrap();
    assert_eq!(serde_json::to_value(&logged_in).unwrap()["customer"]["id"], customer.id.as_str());

    // A request in a newer version names it; its response decodes as that version's type.
    let frame = RequestFrame::encode(
        &v3_7::customer::StartChatRequest::default(),
        Some("start-1".into()),
        ApiVersion::V3_6,
    )
    .unwrap();
    assert_eq!(frame.version.as_deref(), Some("3.7"));
    let started = send(&mut rtm, frame)
        .await
        .decode_response::<v3_7::customer::StartChatRequest>()
        .unwrap();

    // Its pushes arrive once per subscribed version, each decoded in the version it names.
    let mut versions = Vec::new();
    for _ in 0..2 {
        let text = rtm.push("incoming_chat").await.to_string();
        let Frame::Push(push) = lc_types::from_str::<Frame>(&text).unwrap() else {
            panic!("{text}")
        };
        assert_eq!(push.request_id.as_deref(), Some("start-1"));
        let decoded = push.decode_any(ApiVersion::V3_6).unwrap();
        assert!(matches!(decoded, VersionedPush::V3_6(_) | VersionedPush::V3_7(_)), "{decoded:?}");
        assert_eq!(serde_json::to_value(&decoded).unwrap()["chat"]["id"], started.chat_id.as_str());
        versions.push(decoded.version().unwrap());
    }
    versions.sort();
    assert_eq!(versions, [ApiVersion::V3_6, ApiVersion::V3_7]);

    // An API error over RTM: type and message, no HTTP status, the payload as its raw text.
    let frame = RequestFrame::encode(
        &v3_6::customer::StartChatRequest::default(),
        Some("start-2".into()),
        ApiVersion::V3_6,
    )
    .unwrap();
    let Err(ResponseError::Api(e)) = send(&mut rtm, frame).await.decode_response::<v3_6::customer::StartChatRequest>() else {
        panic!("a second chat is refused")
    };
    assert_eq!((e.kind(), e.status()), (&ErrorType::ChatLimitReached, None));
    let raw: serde_json::Value = serde_json::from_str(e.raw()).unwrap();
    assert_eq!(raw, serde_json::to_value(e.envelope()).unwrap());
    assert!(server.problems().is_empty(), "{:?}", server.problems());
    server.shutdown().await;
}
