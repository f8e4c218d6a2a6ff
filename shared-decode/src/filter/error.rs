//! Filter errors: a message, the byte range of the filter text it is about, an optional
//! "did you mean" replacement, and a two-line rendering with a caret under the problem.

use std::fmt;

/// Longest filter text accepted, in bytes (a filter is typed or pasted by a person; anything
/// longer is a mistake or an attack, and every later stage is linear in it).
pub const MAX_LEN: usize = 4096;

/// Deepest nesting of parentheses and `not` accepted (wirefilter uses 128; the parser, the
/// printer and the evaluator recurse once per level, so this bounds their stack use).
pub const MAX_DEPTH: usize = 64;

/// Why a filter was rejected, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FilterError {
    /// What is wrong, lower-case, e.g. `unknown field tcp.prot (did you mean tcp.port?)`.
    pub message: String,
    /// First byte of the offending text (offset into the text given to [`super::compile`]).
    pub start: usize,
    /// One past the last byte of the offending text (`start` when it is a position, such as
    /// an unexpected end).
    pub end: usize,
    /// A replacement for the text at `start..end` that would likely fix the error.
    pub suggestion: Option<String>,
    /// The whole filter text, for [`FilterError::render`].
    pub filter: String,
}

impl FilterError {
    pub(crate) fn new(message: impl Into<String>, start: usize, end: usize) -> FilterError {
        FilterError {
            message: message.into(),
            start,
            end: end.max(start),
            suggestion: None,
            filter: String::new(),
        }
    }

    pub(crate) fn with_suggestion(mut self, s: impl Into<String>) -> FilterError {
        self.suggestion = Some(s.into());
        self
    }

    /// Moves the position by `by` bytes (the text was a part of a longer one).
    pub(crate) fn shifted(mut self, by: usize) -> FilterError {
        self.start = self.start.saturating_add(by);
        self.end = self.end.saturating_add(by);
        self
    }

    pub(crate) fn in_text(mut self, text: &str) -> FilterError {
        self.filter = text.to_string();
        self.start = self.start.min(text.len());
        self.end = self.end.clamp(self.start, text.len());
        self
    }

    /// The filter on one line and carets under the offending bytes on the next, then the
    /// message:
    ///
    /// ```text
    /// tcp.prot == 80
    /// ^~~~~~~~
    /// unknown field tcp.prot (did you mean tcp.port?)
    /// ```
    ///
    /// Control characters in the filter are shown as spaces so the caret stays aligned;
    /// columns count characters, not bytes.
    pub fn render(&self) -> String {
        let text = self.filter.as_str();
        let mut line = String::with_capacity(text.len());
        let mut caret = String::new();
        for (i, c) in text.char_indices() {
            let shown = if c.is_control() { ' ' } else { c };
            line.push(shown);
            if i < self.start {
                caret.push(' ');
            } else if i == self.start {
                caret.push('^');
            } else if i < self.end {
                caret.push('~');
            }
        }
        if self.start >= text.len() {
            caret.push('^');
        }
        format!("{line}\n{caret}\n{}", self.message)
    }
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.start)
    }
}

impl std::error::Error for FilterError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_the_range() {
        let e = FilterError::new("unknown field tcp.prot", 0, 8).in_text("tcp.prot == 80");
        assert_eq!(
            e.render(),
            "tcp.prot == 80\n^~~~~~~~\nunknown field tcp.prot"
        );
        let e = FilterError::new("unexpected end", 6, 6).in_text("tcp ==");
        assert_eq!(e.render(), "tcp ==\n      ^\nunexpected end");
        assert_eq!(e.to_string(), "unexpected end (at byte 6)");
    }

    #[test]
    fn clamps_positions_to_the_text() {
        let e = FilterError::new("x", 50, 60).in_text("ab");
        assert_eq!((e.start, e.end), (2, 2));
        let _ = e.render();
    }
}
