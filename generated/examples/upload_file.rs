//! Upload a file to a course (hand-written, kept by `cargo xtask gen`).
//!
//! `CANVAS_URL=... CANVAS_TOKEN=... cargo run -p canvas-lms --example upload_file -- <course id> <path>`

use canvas_lms::{Client, Upload};

#[tokio::main]
async fn main() -> canvas_lms::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (course, path) = (args.get(1).cloned().unwrap_or_else(|| "1".into()), args.get(2).cloned().unwrap_or_else(|| "notes.pdf".into()));
    let url = std::env::var("CANVAS_URL").unwrap_or_else(|_| "https://canvas.example.edu".into());
    let client = Client::builder(url).token(std::env::var("CANVAS_TOKEN").unwrap_or_default()).build()?;

    // One call does Canvas's three steps; the file is streamed, never held in memory whole.
    let file = Upload::from_path(&path).await?.on_progress(|sent| eprint!("\r{sent} bytes sent"));
    let uploaded = client.courses().upload_file(course.as_str()).upload(file).await?;
    println!("\nuploaded {:?} as file {:?}", uploaded.display_name, uploaded.id);
    Ok(())
}
