//! The generated code triggers none of the user's lints.

#![deny(warnings, missing_docs, unused_qualifications, unreachable_pub, unused_results)]
#![deny(missing_debug_implementations, trivial_casts, unused_import_braces)]

use integrate::integration;

/// A customer.
#[derive(serde::Deserialize, Debug)]
pub struct Customer {
    /// Its id.
    pub id: String,
}

mod inner {
    use integrate::integration;

    /// A crate-visible declaration.
    #[integration(base_url = "https://api.example.com", auth = bearer(env = "T"))]
    pub(crate) trait Internal {
        /// Ping.
        #[get("/ping")]
        async fn ping(&self) -> integrate::Result<()>;
    }

    /// A private declaration that is never used.
    #[integration(base_url = "https://api.example.com")]
    trait Unused {
        /// Ping.
        #[get("/ping")]
        async fn ping(&self) -> integrate::Result<()>;
    }
}

/// The public API.
#[integration(base_url = "https://api.example.com")]
pub trait Public {
    /// One customer.
    #[get("/customers/{id}")]
    async fn customer(&self, id: &str) -> integrate::Result<Customer>;
}

fn main() {
    use inner::Internal as _;
    let client = inner::InternalClient::builder().env(|name| (name == "T").then(|| "t".into())).build().unwrap();
    drop(client.ping());
    let public = PublicClient::from_env().unwrap();
    drop(public.customer("x"));
}
