//! Copy a course's content and wait for the job to finish (hand-written, kept by
//! `cargo xtask gen`).
//!
//! `CANVAS_URL=... CANVAS_TOKEN=... cargo run -p canvas-lms --example course_copy -- <from> <to>`

use canvas_lms::content_migrations::Settings;
use canvas_lms::{Client, Id, WaitOptions};

#[tokio::main]
async fn main() -> canvas_lms::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (from, to) = (args.get(1).cloned().unwrap_or_else(|| "1".into()), args.get(2).cloned().unwrap_or_else(|| "2".into()));
    let url = std::env::var("CANVAS_URL").unwrap_or_else(|_| "https://canvas.example.edu".into());
    let client = Client::builder(url).token(std::env::var("CANVAS_TOKEN").unwrap_or_default()).build()?;

    let settings = Settings { source_course_id: Some(Id::new(from)), ..Default::default() };
    let migration = client
        .content_migrations()
        .create_content_migration(canvas_lms::context::Course(to.as_str()), "course_copy_importer")
        .settings(settings)
        .send()
        .await?;
    // The migration reports its job as a Progress: poll it until it completes.
    let progress_url = migration.progress_url.unwrap_or_default();
    let progress = client.progress().query_progress(progress_url.rsplit('/').next().unwrap_or_default()).send().await?;
    let done = client.wait_for_progress(&progress, &WaitOptions::default()).await?;
    println!("copy finished: {:?}", done.workflow_state);
    Ok(())
}
