//! Canvas doc markup to rustdoc.
//!
//! Canvas descriptions mix YARD/RDoc markup (`{api:CoursesController#create Create a
//! course}`, `+name+`, two-space indented examples), a little HTML (`<b>`, `<tt>`,
//! `<code>`) and text that rustdoc would misread: `course[name]` looks like an intra-doc
//! link, `<X>` like an HTML tag, an indented block like a doctest. The output renders as
//! the author meant and passes `cargo doc` without warnings.

/// Converts one description to rustdoc markdown.
pub fn rustdoc(text: &str) -> String {
    // Canvas writes "no description" where it has none: that is no documentation, and the
    // emitter's own fallback (what the item sends or holds) says more.
    if is_placeholder(text) {
        return String::new();
    }
    let text = text.replace("\r\n", "\n").replace('\r', "\n").replace('\t', "    ");
    let lines: Vec<&str> = text.lines().collect();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if !is_indented(line) {
            out.push(inline(line.trim()));
            i += 1;
            continue;
        }
        // A run of indented lines: a code example, or the continuation of a list item.
        let start = i;
        while i < lines.len() && is_indented(lines[i]) {
            i += 1;
        }
        let block = &lines[start..i];
        if looks_like_code(block) {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            out.push("```text".into());
            out.extend(block.iter().map(|l| l.trim_end().replace("```", "'''")));
            out.push("```".into());
            out.push(String::new());
        } else {
            out.extend(block.iter().map(|l| inline(l.trim())));
        }
    }
    // Trim blank lines at both ends, collapse runs of blank lines, and join the hard-wrapped
    // lines of a paragraph into one (markdown renders them the same; the source stays short).
    let mut result: Vec<String> = Vec::new();
    let mut in_fence = false;
    let mut joinable = false;
    for l in out {
        if l.starts_with("```") {
            in_fence = !in_fence;
            joinable = false;
            result.push(l);
            continue;
        }
        if in_fence {
            result.push(l);
            continue;
        }
        if l.is_empty() {
            joinable = false;
            if result.last().is_none_or(|p: &String| p.is_empty()) {
                continue;
            }
            result.push(l);
            continue;
        }
        if joinable && !starts_block(&l) {
            let last = result.last_mut().expect("joinable implies a previous line");
            last.push(' ');
            last.push_str(&l);
        } else {
            result.push(l);
        }
        joinable = true;
    }
    while result.last().is_some_and(|l| l.is_empty()) {
        result.pop();
    }
    result.join("\n")
}

fn is_indented(line: &str) -> bool {
    (line.starts_with("  ") || line.starts_with('\t')) && !line.trim().is_empty()
}

/// An indented block is a code example (kept verbatim) when it has code punctuation or
/// starts with a command or HTTP verb; otherwise it is prose (a list item's continuation).
fn looks_like_code(block: &[&str]) -> bool {
    const STARTS: &[&str] = &["curl", "GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "-H", "-F", "-X", "-d", "$ "];
    block.iter().any(|l| {
        let t = l.trim();
        t.contains(['{', '}', '=', '<', '>', ';', '[', ']', '|', '`', '$']) || STARTS.iter().any(|s| t.starts_with(s))
    })
}

/// Lines that start a list item, heading or table row keep their own line.
fn starts_block(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("- ")
        || t.starts_with("* ")
        || t.starts_with("+ ")
        || t.starts_with('#')
        || t.starts_with('|')
        || t.split_once(". ").is_some_and(|(n, _)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

/// Inline markup of one line.
fn inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    let mut in_code = false;
    while i < chars.len() {
        let c = chars[i];
        let rest: String = chars[i..].iter().take(12).collect();
        if c == '`' {
            in_code = !in_code;
            out.push(c);
            i += 1;
            continue;
        }
        if in_code {
            let lower = rest.to_ascii_lowercase();
            if let Some(tag) = ["</tt>", "</code>"].iter().find(|t| lower.starts_with(**t)) {
                out.push('`');
                in_code = false;
                i += tag.len();
            } else {
                out.push(c);
                i += 1;
            }
            continue;
        }
        // {api:Controller#action Link text} and {file:doc/api/x.md Title}
        if c == '{' && (rest.starts_with("{api:") || rest.starts_with("{file:")) {
            if let Some(len) = chars[i..].iter().position(|&c| c == '}') {
                let inner: String = chars[i + 1..i + len].iter().collect();
                let (_, body) = inner.split_once(':').unwrap_or(("", &inner));
                let label = body.split_once(' ').map(|(_, l)| l.to_owned()).unwrap_or_else(|| body.to_owned());
                out.push_str(&escape_text(&label));
                i += len + 1;
                continue;
            }
        }
        // Known HTML tags become markdown; anything else in angle brackets is text.
        if c == '<' {
            if let Some(len) = chars[i..].iter().take(40).position(|&c| c == '>') {
                let tag: String = chars[i + 1..i + len].iter().collect::<String>().to_ascii_lowercase();
                let md = match tag.trim() {
                    "b" | "/b" | "strong" | "/strong" => Some("**"),
                    "i" | "/i" | "em" | "/em" => Some("*"),
                    "tt" | "/tt" | "code" | "/code" => Some("`"),
                    "br" | "br/" | "br /" | "p" | "/p" => Some(" "),
                    _ => None,
                };
                if let Some(md) = md {
                    out.push_str(md);
                    if md == "`" {
                        in_code = !in_code;
                    }
                    i += len + 1;
                    continue;
                }
            }
            out.push_str("\\<");
            i += 1;
            continue;
        }
        // +name+ (RDoc monospace)
        if c == '+' && i + 1 < chars.len() && chars[i + 1].is_ascii_alphanumeric() {
            if let Some(len) = chars[i + 1..].iter().position(|&c| c == '+') {
                let word: String = chars[i + 1..i + 1 + len].iter().collect();
                if word.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c)) {
                    out.push('`');
                    out.push_str(&word);
                    out.push('`');
                    i += len + 2;
                    continue;
                }
            }
        }
        // Bare URLs become autolinks.
        if rest.starts_with("http://") || rest.starts_with("https://") {
            let len =
                chars[i..].iter().position(|c| c.is_whitespace() || "\"'()<>,".contains(*c)).unwrap_or(chars.len() - i);
            let mut url: String = chars[i..i + len].iter().collect();
            let trailing = url.len() - url.trim_end_matches(['.', ';', ':', ']']).len();
            url.truncate(url.len() - trailing);
            let consumed = url.chars().count();
            if url.contains('[') || url.contains('{') {
                out.push('`');
                out.push_str(&url);
                out.push('`');
            } else {
                out.push('<');
                out.push_str(&url);
                out.push('>');
            }
            i += consumed;
            continue;
        }
        out.push_str(&escape_text(&c.to_string()));
        i += 1;
    }
    if in_code {
        out.push('`');
    }
    out
}

/// Escapes what markdown or rustdoc would read as syntax.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '[' | ']' | '\\' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Text that stands where Canvas has no description.
pub fn is_placeholder(text: &str) -> bool {
    let t = text.trim().trim_end_matches('.').to_ascii_lowercase();
    matches!(t.as_str(), "no description" | "none" | "todo" | "tbd")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canvas_markup() {
        assert_eq!(rustdoc("See {api:CoursesController#create Create a course}."), "See Create a course.");
        assert_eq!(rustdoc("Set course[name] to <X>"), "Set course\\[name\\] to \\<X\\>");
        assert_eq!(rustdoc("a <b>bold</b> +word+ <tt>x[y]</tt>"), "a **bold** `word` `x[y]`");
        assert_eq!(rustdoc("Example:\n  GET /x?a[]=1\nafter"), "Example:\n\n```text\n  GET /x?a[]=1\n```\n\nafter");
        assert_eq!(rustdoc("- a: first\n  continued here\n- b"), "- a: first continued here\n- b");
        assert_eq!(rustdoc("see https://x.test/a."), "see <https://x.test/a>.");
        assert_eq!(rustdoc("one\ntwo\n\n- a\n- b\nthree"), "one two\n\n- a\n- b three");
    }

    #[test]
    fn every_block_start_keeps_its_line() {
        for start in ["- a", "* a", "+ a", "# A", "| a |", "12. a"] {
            assert_eq!(rustdoc(&format!("intro\n{start}")), format!("intro\n{start}"), "{start}");
        }
        for prose in ["x. a", ". a", "1x. a", "-a"] {
            assert_eq!(rustdoc(&format!("intro\n{prose}")), format!("intro {}", inline(prose)), "{prose}");
        }
        // Only the last line of a description is the end: a one-line text is kept whole.
        assert_eq!(rustdoc("only"), "only");
    }

    #[test]
    fn indented_blocks_are_code_by_punctuation_or_command_and_prose_otherwise() {
        for code in ["  curl https://x", "  POST /x", "  -H 'a'", "  $ ls", "  a = b", "  x | y", "  {a}"] {
            assert!(rustdoc(&format!("E:\n{code}")).contains("```text"), "{code}");
        }
        assert_eq!(rustdoc("E:\n  plain words here"), "E: plain words here");
    }

    #[test]
    fn html_tags_and_inline_markup_become_markdown() {
        assert_eq!(rustdoc("a <i>b</i> <em>c</em>"), "a *b* *c*");
        assert_eq!(rustdoc("a<br>b<p>c</p><br />d"), "a b c  d");
        assert_eq!(rustdoc("<code>x</code> and <tt>y</TT>"), "`x` and `y`");
        assert_eq!(rustdoc("an unclosed <code>x"), "an unclosed `x`");
        assert_eq!(rustdoc("1 + 2 +b c+ +a+"), "1 + 2 +b c+ `a`");
        assert_eq!(rustdoc("at the end +"), "at the end +");
        assert_eq!(rustdoc("{file:doc/api/x.md The guide}"), "The guide");
        assert_eq!(rustdoc("{api:Only}"), "Only");
        assert_eq!(rustdoc("see http://x.test/a?b[]=1 now"), "see `http://x.test/a?b[]=1` now");
        assert_eq!(rustdoc("(https://x.test/a), then"), "(<https://x.test/a>), then");
        assert_eq!(rustdoc("ends with https://x.test"), "ends with <https://x.test>");
    }
}
