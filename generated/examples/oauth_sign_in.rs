//! OAuth2 sign-in (hand-written, kept by `cargo xtask gen`): the login URL with `state` and
//! PKCE, the `state` check and code exchange, a client that refreshes by itself, logout.
//!
//! `CANVAS_URL=https://canvas.example.edu CANVAS_CLIENT_ID=... CANVAS_CLIENT_SECRET=... \
//!  CANVAS_REDIRECT_URI=https://app.example.edu/callback cargo run -p canvas-lms --example oauth_sign_in`
//!
//! It prints the login URL, then reads the `state` and `code` query parameters of the
//! redirect from standard input (one per line), as a web application would read them from
//! its callback request.

use std::io::BufRead;

use canvas_lms::{Client, Error, OAuth};

#[tokio::main]
async fn main() -> canvas_lms::Result<()> {
    let env = |k: &str, default: &str| std::env::var(k).unwrap_or_else(|_| default.to_owned());
    let url = env("CANVAS_URL", "https://canvas.example.edu");
    let oauth = OAuth::new(
        &url,
        &env("CANVAS_CLIENT_ID", "10000000000001"),
        &env("CANVAS_CLIENT_SECRET", ""),
        &env("CANVAS_REDIRECT_URI", "https://app.example.edu/callback"),
    )?;

    // 1. Send the user to Canvas; keep `pending` until Canvas redirects back.
    let (login_url, pending) = oauth.authorize(&["url:GET|/api/v1/users/:user_id/profile"]);
    println!("open {login_url}");

    // 2. The redirect brings `state` and `code`: the state must be the one sent.
    let mut lines = std::io::stdin().lock().lines().map_while(Result::ok);
    let (state, code) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let tokens = match oauth.exchange_code(&pending, state.trim(), code.trim()).await {
        Ok(tokens) => tokens,
        Err(Error::OAuth(e)) if e.needs_reauthentication() => {
            eprintln!("sign-in refused ({e}); start again");
            return Ok(());
        }
        Err(e) => return Err(e),
    };

    // 3. A client that refreshes the one-hour token by itself.
    let client = Client::builder(url).oauth(oauth, tokens).build()?;
    let me = client.users().get_user_profile("self").send().await?;
    println!("signed in as {:?}", me.name);

    // 4. Revoke the token; the client sends nothing after this.
    client.logout().await
}
