//! A module that shadows `Result`, `Option`, `String`, `Box` and more still
//! compiles, and each return type still gets its decoder: the user's
//! `String` is JSON, `std::string::String` is text.

#![deny(warnings, unused_qualifications)]

mod shadowing {
    use integrate::integration;

    #[allow(dead_code)]
    pub type Result<T> = core::result::Result<T, ()>;
    #[allow(dead_code)]
    pub enum Option<T> {
        Nothing(T),
    }
    #[allow(dead_code)]
    pub struct Box;
    #[allow(dead_code)]
    pub struct Vec;
    #[allow(dead_code)]
    pub trait Future {}
    #[allow(dead_code)]
    pub trait Send {}
    #[allow(dead_code)]
    pub trait Clone {}
    #[allow(dead_code)]
    pub trait Default {}
    #[allow(dead_code)]
    pub struct Duration;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    pub struct String {
        pub text: std::string::String,
    }

    #[integration(base_url = "https://api.example.com", retry(max_attempts = 2, initial_backoff = "1s"), timeout(total = "5s"))]
    pub trait Shadowed {
        #[get("/json/{id}")]
        #[retry(max_attempts = 1)]
        #[timeout(attempt = "1s")]
        async fn json(&self, id: &str, #[query] page: core::option::Option<u32>) -> integrate::Result<String>;

        #[get("/text")]
        async fn text(&self) -> integrate::Result<std::string::String>;

        /// Parameters named like the generated code's locals and fields.
        #[get("/names/{client}")]
        async fn names(
            &self,
            client: &str,
            #[query] call: u32,
            #[header("X-Declaration")] declaration: &str,
            #[query] decoder: bool,
        ) -> integrate::Result<()>;

        #[post("/created")]
        #[idempotent]
        async fn create(&self) -> integrate::Result<integrate::Response<String>>;
    }
}

use shadowing::{Shadowed, ShadowedClient};

struct Fixed;

impl integrate::Transport for Fixed {
    fn send(
        &self,
        _request: http::Request<integrate::Bytes>,
    ) -> integrate::transport::BoxFuture<'_, Result<http::Response<integrate::Bytes>, integrate::TransportError>> {
        Box::pin(async {
            Ok(http::Response::new(integrate::Bytes::from_static(br#"{"text":"hi"}"#)))
        })
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = ShadowedClient::builder().transport(Fixed).build().unwrap();
        let json = client.json("x", None).await.unwrap();
        assert_eq!(json, shadowing::String { text: "hi".into() });
        let text = client.text().await.unwrap();
        assert_eq!(text, r#"{"text":"hi"}"#);
        client.names("c", 1, "d", true).await.unwrap();
        let created = client.create().await.unwrap();
        assert_eq!(created.body().text, "hi");
    });
}
