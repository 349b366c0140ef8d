//! Just enough XML for `dialplan.xml`: start, end and empty-element tags with attributes,
//! text, comments, the XML declaration, processing instructions, `<!DOCTYPE …>` and CDATA.
//!
//! It is a tokenizer, not a validating parser: nesting is the caller's business. What it
//! tolerates, because real dial plans are hand-written: attribute values in double, single
//! or typographic quotes (`“…”`, as copied from Cisco's PDF guides) or unquoted; any case;
//! the five predefined entities and numeric character references (an unknown `&name;` is
//! kept as written). It never panics: every problem is an [`XmlError`] with its line.

use std::borrow::Cow;
use std::fmt;

/// One attribute of a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr<'a> {
    /// The name, as written.
    pub name: &'a str,
    /// The value, entities decoded.
    pub value: Cow<'a, str>,
    /// The 1-based line the attribute starts on.
    pub line: u32,
}

/// What the tokenizer found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node<'a> {
    /// `<name attr="value" …>` or, with `empty`, `<name … />`.
    Start {
        /// The element name, as written.
        name: &'a str,
        /// Its attributes in order.
        attrs: Vec<Attr<'a>>,
        /// `/>`: the element has no content and no end tag.
        empty: bool,
        /// The line of the `<`.
        line: u32,
    },
    /// `</name>`.
    End {
        /// The element name, as written.
        name: &'a str,
        /// The line of the `<`.
        line: u32,
    },
    /// Text between tags that is not only white space (or a CDATA section).
    Text {
        /// The text, trimmed.
        text: &'a str,
        /// The line it starts on.
        line: u32,
    },
}

/// What is wrong with the markup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlProblem {
    /// `<!--` without `-->`.
    UnclosedComment,
    /// `<?` without `?>`.
    UnclosedDeclaration,
    /// `<![CDATA[` without `]]>`.
    UnclosedCdata,
    /// A tag that reaches the end of the file.
    UnclosedTag,
    /// `<` not followed by a name, `/`, `!` or `?`.
    NoElementName,
    /// Something in a tag that is not an attribute (`found` is what was there).
    Unexpected {
        /// The character found.
        found: char,
    },
    /// `name` without `=value`.
    NoValue {
        /// The attribute.
        attribute: String,
    },
    /// A quoted value without its closing quote.
    UnclosedValue {
        /// The attribute.
        attribute: String,
    },
}

/// A markup problem and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub problem: XmlProblem,
}

impl fmt::Display for XmlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnclosedComment => f.write_str("a comment <!-- is never closed with -->"),
            Self::UnclosedDeclaration => f.write_str("<? is never closed with ?>"),
            Self::UnclosedCdata => f.write_str("<![CDATA[ is never closed with ]]>"),
            Self::UnclosedTag => f.write_str("a tag is never closed with > or />"),
            Self::NoElementName => f.write_str("< is not followed by an element name"),
            Self::Unexpected { found } => write!(f, "{found:?} inside a tag where an attribute should be"),
            Self::NoValue { attribute } => write!(f, "attribute {attribute} has no =\"value\""),
            Self::UnclosedValue { attribute } => write!(f, "the value of {attribute} has no closing quote"),
        }
    }
}

/// Splits `text` into [`Node`]s, skipping comments, declarations and white space.
pub fn tokenize(text: &str) -> Result<Vec<Node<'_>>, XmlError> {
    let mut lexer = Lexer { text, pos: 0, line: 1 };
    let mut nodes = Vec::new();
    while lexer.pos < text.len() {
        if let Some(node) = lexer.next_node()? {
            nodes.push(node);
        }
    }
    Ok(nodes)
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.')
}

/// Quote pairs: ASCII double and single, and the typographic ones of PDF guides.
fn closing_quote(open: char) -> Option<&'static [char]> {
    match open {
        '"' => Some(&['"']),
        '\'' => Some(&['\'']),
        '“' | '”' => Some(&['”', '“']),
        _ => None,
    }
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Moves on by `len` bytes (a char boundary), counting the newlines passed.
    fn advance(&mut self, len: usize) {
        let end = (self.pos + len).min(self.text.len());
        let passed = self.text.get(self.pos..end).unwrap_or("");
        self.line += u32::try_from(passed.bytes().filter(|&b| b == b'\n').count()).unwrap_or(u32::MAX);
        self.pos = end;
    }

    fn error(&self, line: u32, problem: XmlProblem) -> XmlError {
        XmlError { line, problem }
    }

    /// Skips up to and including `end`, or fails with `problem` at `line`.
    fn skip_past(&mut self, end: &str, line: u32, problem: XmlProblem) -> Result<&'a str, XmlError> {
        match self.rest().find(end) {
            Some(at) => {
                let inner = self.rest().get(..at).unwrap_or("");
                self.advance(at + end.len());
                Ok(inner)
            }
            None => Err(self.error(line, problem)),
        }
    }

    fn skip_space(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.advance(n);
    }

    fn next_node(&mut self) -> Result<Option<Node<'a>>, XmlError> {
        let line = self.line;
        let rest = self.rest();
        if !rest.starts_with('<') {
            let len = rest.find('<').unwrap_or(rest.len());
            let chunk = rest.get(..len).unwrap_or("");
            let lead = chunk.len() - chunk.trim_start().len();
            let text_line =
                line + u32::try_from(chunk.get(..lead).unwrap_or("").matches('\n').count()).unwrap_or(0);
            self.advance(len);
            let text = chunk.trim();
            return Ok((!text.is_empty()).then_some(Node::Text { text, line: text_line }));
        }
        if rest.starts_with("<!--") {
            self.advance(4);
            self.skip_past("-->", line, XmlProblem::UnclosedComment)?;
            return Ok(None);
        }
        if rest.starts_with("<![CDATA[") {
            self.advance(9);
            let text = self.skip_past("]]>", line, XmlProblem::UnclosedCdata)?;
            return Ok(Some(Node::Text { text, line }));
        }
        if rest.starts_with("<?") {
            self.advance(2);
            self.skip_past("?>", line, XmlProblem::UnclosedDeclaration)?;
            return Ok(None);
        }
        if rest.starts_with("<!") {
            self.advance(2);
            self.skip_past(">", line, XmlProblem::UnclosedTag)?;
            return Ok(None);
        }
        if rest.starts_with("</") {
            self.advance(2);
            self.skip_space();
            let name = self.name().ok_or_else(|| self.error(line, XmlProblem::NoElementName))?;
            self.skip_space();
            return match self.peek() {
                Some('>') => {
                    self.advance(1);
                    Ok(Some(Node::End { name, line }))
                }
                Some(found) => Err(self.error(self.line, XmlProblem::Unexpected { found })),
                None => Err(self.error(line, XmlProblem::UnclosedTag)),
            };
        }
        self.advance(1);
        let name = self.name().ok_or_else(|| self.error(line, XmlProblem::NoElementName))?;
        let mut attrs = Vec::new();
        loop {
            self.skip_space();
            let rest = self.rest();
            if rest.starts_with("/>") {
                self.advance(2);
                return Ok(Some(Node::Start { name, attrs, empty: true, line }));
            }
            match self.peek() {
                Some('>') => {
                    self.advance(1);
                    return Ok(Some(Node::Start { name, attrs, empty: false, line }));
                }
                None => return Err(self.error(line, XmlProblem::UnclosedTag)),
                Some(_) => attrs.push(self.attribute()?),
            }
        }
    }

    fn name(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let first = rest.chars().next().filter(|&c| is_name_start(c))?;
        let len = rest
            .char_indices()
            .skip(1)
            .find(|&(_, c)| !is_name_char(c))
            .map_or(rest.len(), |(i, _)| i)
            .max(first.len_utf8());
        let name = rest.get(..len)?;
        self.advance(len);
        Some(name)
    }

    fn attribute(&mut self) -> Result<Attr<'a>, XmlError> {
        let line = self.line;
        let Some(name) = self.name() else {
            let found = self.peek().unwrap_or(' ');
            return Err(self.error(line, XmlProblem::Unexpected { found }));
        };
        self.skip_space();
        if self.peek() != Some('=') {
            return Err(self.error(line, XmlProblem::NoValue { attribute: name.to_owned() }));
        }
        self.advance(1);
        self.skip_space();
        let open = self.peek();
        let raw = match open.and_then(closing_quote) {
            Some(closers) => {
                self.advance(open.map_or(1, char::len_utf8));
                let rest = self.rest();
                let Some((at, close)) = rest.char_indices().find(|(_, c)| closers.contains(c)) else {
                    return Err(self.error(line, XmlProblem::UnclosedValue { attribute: name.to_owned() }));
                };
                let value = rest.get(..at).unwrap_or("");
                self.advance(at + close.len_utf8());
                value
            }
            None => {
                let rest = self.rest();
                let len = rest
                    .char_indices()
                    .find(|&(i, c)| {
                        c.is_whitespace() || c == '>' || rest.get(i..).is_some_and(|r| r.starts_with("/>"))
                    })
                    .map_or(rest.len(), |(i, _)| i);
                if len == 0 {
                    return Err(self.error(line, XmlProblem::NoValue { attribute: name.to_owned() }));
                }
                let value = rest.get(..len).unwrap_or("");
                self.advance(len);
                value
            }
        };
        Ok(Attr { name, value: decode_entities(raw), line })
    }
}

/// Replaces `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` and `&#N;` / `&#xH;`; anything else that
/// looks like an entity is kept as written.
pub fn decode_entities(raw: &str) -> Cow<'_, str> {
    if !raw.contains('&') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or(""));
        let tail = rest.get(at..).unwrap_or("");
        let decoded = tail.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = tail.get(1..end)?;
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "quot" => '"',
                "apos" => '\'',
                _ => {
                    let number = entity.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = tail.get(len..).unwrap_or("");
            }
            None => {
                out.push('&');
                rest = tail.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start<'a>(node: &'a Node<'a>) -> (&'a str, Vec<(&'a str, &'a str)>, bool, u32) {
        match node {
            Node::Start { name, attrs, empty, line } => {
                (*name, attrs.iter().map(|a| (a.name, a.value.as_ref())).collect(), *empty, *line)
            }
            other => panic!("not a start tag: {other:?}"),
        }
    }

    #[test]
    fn tags_attributes_and_lines() {
        let text = "<?xml version=\"1.0\"?>\n<!-- a\ncomment -->\n<DIALTEMPLATE>\n  <TEMPLATE MATCH=\"911\"\n   Timeout='0' User=Phone/>\n  <TEMPLATE MATCH=“31.”></TEMPLATE>\n</DIALTEMPLATE>\n";
        let nodes = tokenize(text).unwrap();
        assert_eq!(nodes.len(), 5, "{nodes:?}");
        assert_eq!(start(&nodes[0]), ("DIALTEMPLATE", vec![], false, 4));
        assert_eq!(
            start(&nodes[1]),
            ("TEMPLATE", vec![("MATCH", "911"), ("Timeout", "0"), ("User", "Phone")], true, 5)
        );
        match &nodes[1] {
            Node::Start { attrs, .. } => assert_eq!(attrs[1].line, 6),
            _ => unreachable!(),
        }
        assert_eq!(start(&nodes[2]), ("TEMPLATE", vec![("MATCH", "31.")], false, 7));
        assert_eq!(nodes[3], Node::End { name: "TEMPLATE", line: 7 });
        assert_eq!(nodes[4], Node::End { name: "DIALTEMPLATE", line: 8 });
    }

    #[test]
    fn text_and_cdata() {
        let nodes = tokenize("<a>\n  hello <![CDATA[x<y]]></a>").unwrap();
        assert_eq!(nodes[1], Node::Text { text: "hello", line: 2 });
        assert_eq!(nodes[2], Node::Text { text: "x<y", line: 2 });
    }

    #[test]
    fn entities() {
        assert_eq!(decode_entities("a&amp;b&lt;&#65;&#x42;&nbsp;&"), "a&b<AB&nbsp;&");
        assert_eq!(decode_entities("plain"), "plain");
    }

    #[test]
    fn located_errors() {
        let cases: [(&str, u32, XmlProblem); 7] = [
            ("\n<!-- open", 2, XmlProblem::UnclosedComment),
            ("<?xml", 1, XmlProblem::UnclosedDeclaration),
            ("<a\n b=\"1\"", 1, XmlProblem::UnclosedTag),
            ("< a>", 1, XmlProblem::NoElementName),
            ("<a\n\n b>", 3, XmlProblem::NoValue { attribute: "b".into() }),
            ("<a b=\"1>", 1, XmlProblem::UnclosedValue { attribute: "b".into() }),
            ("<a b=\"1\" ?>", 1, XmlProblem::Unexpected { found: '?' }),
        ];
        for (text, line, problem) in cases {
            assert_eq!(tokenize(text), Err(XmlError { line, problem }), "{text:?}");
        }
    }
}
