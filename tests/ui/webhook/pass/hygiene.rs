//! A module that shadows `Result`, `Option`, `String`, `Duration` and the
//! integrate names still compiles.

#![deny(warnings, unused_qualifications)]

mod shadowing {
    #[allow(dead_code)]
    pub type Result<T> = core::result::Result<T, ()>;
    #[allow(dead_code)]
    pub enum Option<T> {
        Nothing(T),
    }
    #[allow(dead_code)]
    pub struct String;
    #[allow(dead_code)]
    pub struct Duration;
    #[allow(dead_code)]
    pub struct Scheme;
    #[allow(dead_code)]
    pub struct WebhookDeclaration;
    #[allow(dead_code)]
    pub trait Webhook {}

    #[integrate::webhook(
        scheme = "stripe",
        secret_env = ["A", "B"],
        tolerance = "150ms",
        delivery_id = header("X-Id")
    )]
    #[derive(serde::Deserialize)]
    pub struct Event {
        #[allow(dead_code)]
        pub id: std::string::String,
    }
}

fn main() {
    let declaration = <shadowing::Event as integrate::webhook::Webhook>::declaration();
    assert_eq!(declaration.scheme().name(), "stripe");
}
