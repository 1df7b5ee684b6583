use integrate::prelude::*;

#[integration(auth = bearer(env = "TOKEN"))]
pub trait Api {
    #[get("/x")]
    async fn x(&self) -> integrate::Result<()>;
}
fn main() {}
