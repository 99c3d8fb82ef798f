//! Quick start (hand-written, kept by `cargo xtask gen`): read a course by SIS id, then
//! stream every course of the current user.
//!
//! `CANVAS_URL=https://canvas.example.edu CANVAS_TOKEN=... cargo run -p canvas-lms --example quick_start`

use canvas_lms::courses::ListYourCoursesInclude as Include;
use canvas_lms::{Client, Id};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> canvas_lms::Result<()> {
    let url = std::env::var("CANVAS_URL").unwrap_or_else(|_| "https://canvas.example.edu".into());
    let client = Client::builder(url).token(std::env::var("CANVAS_TOKEN").unwrap_or_default()).build()?;

    // Required parameters are arguments; ids accept numbers and SIS references.
    if let Ok(sis) = std::env::var("CANVAS_SIS_COURSE") {
        let course = client.courses().get_single_course(Id::sis_course_id(&sis)).send().await?;
        println!("{sis}: {:?}", course.name);
    }

    // Optional parameters are setters; list operations stream every page (Link header).
    let mut courses = client.courses().list_your_courses().include([Include::Term]).stream();
    while let Some(course) = courses.try_next().await? {
        println!("{:?} {:?} {:?}", course.id, course.name, course.term.and_then(|t| t.name));
    }
    Ok(())
}
