//! A subset of Go's text/template, as External Secrets Operator's v2 engine runs it
//! (`runtime/template/v2/template.go`: `missingkey=error`, sprig functions, `{{`/`}}`): text,
//! actions with pipelines, field access (`.password`, `(fromJson .config).host`), string,
//! number and boolean literals, `{{-`/`-}}` trimming, comments and `if`/`else if`/`else`/`end`.
//! `range`, `with`, variables and template definitions are refused as not simulated.
//!
//! Errors are worded as text/template words them: `template: <name>:<line>: function "foo"
//! not defined` when parsing, `template: <name>:<line>:<col>: executing "<name>" at <.x>: map
//! has no entry for key "x"` when executing.

use serde_json::Value;

mod funcs;

pub(crate) use funcs::{go_base64_error, go_json};

/// Why a template did not render: ESO wraps the two differently (`errParse`, `errExecute`).
#[derive(Debug, PartialEq)]
pub(crate) enum Failure {
    /// The text is not a template the engine accepts (an unknown function, an open action).
    Parse(String),
    /// Running it failed (a missing key, a function's error).
    Execute(String),
}

/// Renders `text` (a template named `name`) with `data` as its dot.
pub(crate) fn execute(name: &str, text: &str, data: &Value) -> Result<String, Failure> {
    let nodes = Parser::new(name, text).parse().map_err(Failure::Parse)?;
    let mut out = String::new();
    Exec { name, text }
        .run(&nodes, data, &mut out)
        .map_err(Failure::Execute)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Dot,
    Field(String),
    Ident(String),
    Str(String),
    Num(serde_json::Number),
    Pipe,
    Open,
    Close,
}

/// A token and where it starts and ends in the template's text.
#[derive(Debug, Clone)]
struct Spanned {
    token: Token,
    start: usize,
    end: usize,
}

enum Node {
    Text(String),
    Action(Pipe),
    If {
        condition: Pipe,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

struct Pipe {
    commands: Vec<Command>,
}

struct Command {
    operands: Vec<Operand>,
}

enum Term {
    Dot,
    Function(String),
    Literal(Value),
    Nested(Pipe),
}

/// A term followed by field accesses, with its source text for error messages.
struct Operand {
    start: usize,
    source: String,
    term: Term,
    fields: Vec<String>,
}

/// A block's nodes and the `else` or `end` that closed it (where, and its text), if any.
type Block = (Vec<Node>, Option<(usize, String)>);

struct Parser<'a> {
    name: &'a str,
    text: &'a str,
}

/// One action's place in the template: the text between its delimiters, and its trim markers.
struct Action {
    start: usize,
    body_start: usize,
    body: String,
}

impl<'a> Parser<'a> {
    fn new(name: &'a str, text: &'a str) -> Self {
        Self { name, text }
    }

    fn line(&self, at: usize) -> usize {
        1 + self.text[..at.min(self.text.len())].matches('\n').count()
    }

    fn error(&self, at: usize, message: &str) -> String {
        format!("template: {}:{}: {message}", self.name, self.line(at))
    }

    /// Splits the text into text and actions, then builds the tree.
    fn parse(&self) -> Result<Vec<Node>, String> {
        let mut items: Vec<Result<String, Action>> = Vec::new();
        let mut rest = 0;
        let bytes = self.text.as_bytes();
        while let Some(found) = self.text[rest..].find("{{") {
            let start = rest + found;
            let mut text = self.text[rest..start].to_owned();
            let mut body_start = start + 2;
            if self.text[body_start..].starts_with("- ")
                || self.text[body_start..].starts_with("-\n")
                || self.text[body_start..].starts_with("-\t")
            {
                text = text.trim_end().to_owned();
                body_start += 1;
            }
            items.push(Ok(text));
            // The action ends at the first `}}` outside a quoted string.
            let mut i = body_start;
            let mut quote: Option<u8> = None;
            let end = loop {
                if i + 1 >= bytes.len() {
                    return Err(self.error(start, "unclosed action"));
                }
                match (quote, bytes[i]) {
                    (Some(b'"'), b'\\') => i += 1,
                    (Some(q), c) if c == q => quote = None,
                    (None, c @ (b'"' | b'`')) => quote = Some(c),
                    (None, b'}') if bytes[i + 1] == b'}' => break i,
                    _ => {}
                }
                i += 1;
            };
            let mut body_end = end;
            rest = end + 2;
            let trim_after = end >= 2
                && bytes[end - 1] == b'-'
                && matches!(bytes[end - 2], b' ' | b'\n' | b'\t');
            if trim_after {
                body_end -= 1;
            }
            let body = self.text[body_start..body_end.max(body_start)].to_owned();
            items.push(Err(Action {
                start,
                body_start,
                body,
            }));
            if trim_after {
                let trimmed = self.text[rest..].trim_start();
                rest = self.text.len() - trimmed.len();
            }
        }
        items.push(Ok(self.text[rest..].to_owned()));
        let mut items = items.into_iter();
        let (nodes, ending) = self.block(&mut items)?;
        match ending {
            None => Ok(nodes),
            Some((at, keyword)) => Err(self.error(at, &format!("unexpected {{{{{keyword}}}}}"))),
        }
    }

    /// Nodes up to an `else` or `end` (returned with where it stands) or the end of the text.
    fn block(
        &self,
        items: &mut impl Iterator<Item = Result<String, Action>>,
    ) -> Result<Block, String> {
        let mut nodes = Vec::new();
        while let Some(item) = items.next() {
            let action = match item {
                Ok(text) => {
                    if !text.is_empty() {
                        nodes.push(Node::Text(text));
                    }
                    continue;
                }
                Err(action) => action,
            };
            let trimmed = action.body.trim();
            if trimmed.starts_with("/*") {
                if !trimmed.ends_with("*/") {
                    return Err(self.error(action.start, "unclosed comment"));
                }
                continue;
            }
            let tokens = self.lex(&action.body, action.body_start)?;
            let keyword = match tokens.first().map(|t| &t.token) {
                Some(Token::Ident(word)) => word.as_str(),
                None => return Err(self.error(action.start, "missing value for command")),
                _ => "",
            };
            match keyword {
                "if" => nodes.push(self.if_node(&tokens[1..], action.start, items)?),
                "else" | "end" => {
                    let keyword = if keyword == "else" && tokens.len() > 1 {
                        format!(
                            "else {}",
                            action.body.trim().trim_start_matches("else").trim()
                        )
                    } else {
                        keyword.to_owned()
                    };
                    return Ok((nodes, Some((action.start, keyword))));
                }
                "range" | "with" | "define" | "template" | "block" | "break" | "continue" => {
                    return Err(self.error(
                        action.start,
                        &format!("{{{{{keyword}}}}} is not simulated by the simulated cluster"),
                    ));
                }
                _ => nodes.push(Node::Action(self.pipeline(&tokens, action.start)?)),
            }
        }
        Ok((nodes, None))
    }

    fn if_node(
        &self,
        condition: &[Spanned],
        at: usize,
        items: &mut impl Iterator<Item = Result<String, Action>>,
    ) -> Result<Node, String> {
        let condition = self.pipeline(condition, at)?;
        let (then, ending) = self.block(items)?;
        let otherwise = match ending {
            None => return Err(self.error(self.text.len(), "unexpected EOF")),
            Some((_, end)) if end == "end" => Vec::new(),
            Some((else_at, ending)) if ending == "else" => {
                let (otherwise, end) = self.block(items)?;
                match end {
                    Some((_, end)) if end == "end" => otherwise,
                    Some((at, other)) => {
                        return Err(self.error(at, &format!("unexpected {{{{{other}}}}}")));
                    }
                    None => return Err(self.error(else_at, "unexpected EOF")),
                }
            }
            Some((else_at, ending)) => {
                // `else if …`: an `if` nested in the else branch, closed by the same `end`.
                let body = ending.trim_start_matches("else").trim().to_owned();
                let offset = else_at + self.text[else_at..].find("if").unwrap_or(0);
                let tokens = self.lex(&body, offset)?;
                if tokens.first().map(|t| &t.token) != Some(&Token::Ident("if".to_owned())) {
                    return Err(self.error(else_at, "unexpected command after else"));
                }
                vec![self.if_node(&tokens[1..], else_at, items)?]
            }
        };
        Ok(Node::If {
            condition,
            then,
            otherwise,
        })
    }

    fn lex(&self, body: &str, base: usize) -> Result<Vec<Spanned>, String> {
        let bytes = body.as_bytes();
        let mut tokens = Vec::new();
        let mut i = 0;
        let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
        while i < bytes.len() {
            let start = i;
            let c = bytes[i];
            let token = match c {
                b' ' | b'\t' | b'\n' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'|' => {
                    i += 1;
                    Token::Pipe
                }
                b'(' => {
                    i += 1;
                    Token::Open
                }
                b')' => {
                    i += 1;
                    Token::Close
                }
                b'.' if bytes.get(i + 1).is_some_and(|c| ident(*c)) => {
                    i += 1;
                    while i < bytes.len() && ident(bytes[i]) {
                        i += 1;
                    }
                    Token::Field(body[start + 1..i].to_owned())
                }
                b'.' => {
                    i += 1;
                    Token::Dot
                }
                b'"' => {
                    let mut j = i + 1;
                    while j < bytes.len() && bytes[j] != b'"' {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    if j >= bytes.len() {
                        return Err(self.error(base + start, "unterminated quoted string"));
                    }
                    let literal = &body[i..=j];
                    i = j + 1;
                    let value: String = serde_json::from_str(literal).map_err(|_| {
                        self.error(base + start, &format!("invalid syntax: {literal}"))
                    })?;
                    Token::Str(value)
                }
                b'`' => {
                    let Some(len) = body[i + 1..].find('`') else {
                        return Err(self.error(base + start, "unterminated raw quoted string"));
                    };
                    let value = body[i + 1..i + 1 + len].to_owned();
                    i += len + 2;
                    Token::Str(value)
                }
                b'0'..=b'9' | b'-' | b'+' => {
                    i += 1;
                    while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.')
                    {
                        i += 1;
                    }
                    let literal = &body[start..i];
                    let number = literal
                        .trim_start_matches('+')
                        .parse::<serde_json::Number>()
                        .map_err(|_| {
                            self.error(base + start, &format!("bad number syntax: {literal:?}"))
                        })?;
                    Token::Num(number)
                }
                c if ident(c) => {
                    while i < bytes.len() && ident(bytes[i]) {
                        i += 1;
                    }
                    Token::Ident(body[start..i].to_owned())
                }
                b'$' => {
                    return Err(self.error(
                        base + start,
                        "variables are not simulated by the simulated cluster",
                    ));
                }
                _ => {
                    let c = body[start..].chars().next().unwrap_or(' ');
                    return Err(self.error(
                        base + start,
                        &format!(
                            "unexpected bad character U+{:04X} '{c}' in command",
                            c as u32
                        ),
                    ));
                }
            };
            tokens.push(Spanned {
                token,
                start: base + start,
                end: base + i,
            });
        }
        Ok(tokens)
    }

    fn pipeline(&self, tokens: &[Spanned], at: usize) -> Result<Pipe, String> {
        let mut i = 0;
        let pipe = self.pipe(tokens, &mut i, at)?;
        match tokens.get(i) {
            None => Ok(pipe),
            Some(t) => Err(self.error(t.start, &format!("unexpected {:?} in operand", t.token))),
        }
    }

    fn pipe(&self, tokens: &[Spanned], i: &mut usize, at: usize) -> Result<Pipe, String> {
        let mut commands = Vec::new();
        loop {
            let mut operands = Vec::new();
            while let Some(t) = tokens.get(*i) {
                if matches!(t.token, Token::Pipe | Token::Close) {
                    break;
                }
                operands.push(self.operand(tokens, i)?);
            }
            if operands.is_empty() {
                return Err(self.error(at, "missing value for command"));
            }
            commands.push(Command { operands });
            match tokens.get(*i) {
                Some(t) if t.token == Token::Pipe => *i += 1,
                _ => return Ok(Pipe { commands }),
            }
        }
    }

    fn operand(&self, tokens: &[Spanned], i: &mut usize) -> Result<Operand, String> {
        let first = &tokens[*i];
        *i += 1;
        let mut fields = Vec::new();
        let term = match &first.token {
            Token::Dot => Term::Dot,
            Token::Field(name) => {
                fields.push(name.clone());
                Term::Dot
            }
            Token::Str(s) => Term::Literal(Value::String(s.clone())),
            Token::Num(n) => Term::Literal(Value::Number(n.clone())),
            Token::Ident(word) => match word.as_str() {
                "true" | "false" => Term::Literal(Value::Bool(word == "true")),
                "nil" => Term::Literal(Value::Null),
                name if funcs::SIMULATED.contains(&name) => Term::Function(name.to_owned()),
                name if funcs::is_known_to_eso(name) => {
                    return Err(self.error(
                        first.start,
                        &format!("function {name:?} is not simulated by the simulated cluster"),
                    ));
                }
                name => {
                    return Err(self.error(first.start, &format!("function {name:?} not defined")));
                }
            },
            Token::Open => {
                let nested = self.pipe(tokens, i, first.start)?;
                match tokens.get(*i) {
                    Some(t) if t.token == Token::Close => *i += 1,
                    _ => return Err(self.error(first.start, "unclosed left paren")),
                }
                Term::Nested(nested)
            }
            other => {
                return Err(self.error(first.start, &format!("unexpected {other:?} in operand")));
            }
        };
        // Fields chained onto the term with no space between: `.a.b`, `(…).c`.
        let mut end = tokens[*i - 1].end;
        while let Some(Spanned {
            token: Token::Field(name),
            start,
            end: field_end,
        }) = tokens.get(*i)
        {
            if *start != end {
                break;
            }
            fields.push(name.clone());
            end = *field_end;
            *i += 1;
        }
        Ok(Operand {
            start: first.start,
            source: self.text[first.start..end].to_owned(),
            term,
            fields,
        })
    }
}

/// Runs a parsed template.
struct Exec<'a> {
    name: &'a str,
    text: &'a str,
}

impl Exec<'_> {
    /// text/template's `ErrorContext`: `name:line:col` and the node's text (at most 20 bytes).
    fn error(&self, at: usize, context: &str, message: &str) -> String {
        let before = &self.text[..at.min(self.text.len())];
        let line = 1 + before.matches('\n').count();
        let col = at - before.rfind('\n').map_or(0, |n| n + 1);
        let context = if context.len() > 20 {
            let mut cut = 20;
            while !context.is_char_boundary(cut) {
                cut -= 1;
            }
            format!("{}...", &context[..cut])
        } else {
            context.to_owned()
        };
        format!(
            "template: {name}:{line}:{col}: executing \"{name}\" at <{context}>: {message}",
            name = self.name
        )
    }

    fn run(&self, nodes: &[Node], dot: &Value, out: &mut String) -> Result<(), String> {
        for node in nodes {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Action(pipe) => {
                    let value = self.pipe(pipe, dot)?;
                    match value {
                        // printValue: a missing value prints as "<no value>".
                        Value::Null => out.push_str("<no value>"),
                        value => out.push_str(&funcs::go_print(&value)),
                    }
                }
                Node::If {
                    condition,
                    then,
                    otherwise,
                } => {
                    let branch = if funcs::truthy(&self.pipe(condition, dot)?) {
                        then
                    } else {
                        otherwise
                    };
                    self.run(branch, dot, out)?;
                }
            }
        }
        Ok(())
    }

    fn pipe(&self, pipe: &Pipe, dot: &Value) -> Result<Value, String> {
        let mut last: Option<Value> = None;
        for command in &pipe.commands {
            last = Some(self.command(command, dot, last)?);
        }
        Ok(last.unwrap_or(Value::Null))
    }

    fn command(
        &self,
        command: &Command,
        dot: &Value,
        piped: Option<Value>,
    ) -> Result<Value, String> {
        let first = &command.operands[0];
        if let Term::Function(name) = &first.term
            && first.fields.is_empty()
        {
            let mut args = Vec::new();
            for operand in &command.operands[1..] {
                args.push(self.operand(operand, dot)?);
            }
            args.extend(piped);
            return funcs::call(name, &args).map_err(|error| match error {
                funcs::CallError::Type(m)
                | funcs::CallError::Arity(m)
                | funcs::CallError::Call(m) => self.error(first.start, name, &m),
            });
        }
        if command.operands.len() > 1 || piped.is_some() {
            return Err(self.error(
                first.start,
                &first.source,
                &format!("can't give argument to non-function {}", first.source),
            ));
        }
        self.operand(first, dot)
    }

    fn operand(&self, operand: &Operand, dot: &Value) -> Result<Value, String> {
        let mut value = match &operand.term {
            Term::Dot => dot.clone(),
            Term::Literal(v) => v.clone(),
            Term::Nested(pipe) => self.pipe(pipe, dot)?,
            Term::Function(name) => funcs::call(name, &[]).map_err(|_| {
                self.error(
                    operand.start,
                    name,
                    &format!("wrong number of args for {name}"),
                )
            })?,
        };
        for field in &operand.fields {
            value = match value {
                Value::Object(mut map) => match map.remove(field) {
                    Some(v) => v,
                    None => {
                        return Err(self.error(
                            operand.start,
                            &operand.source,
                            &format!("map has no entry for key {field:?}"),
                        ));
                    }
                },
                Value::Null => {
                    return Err(self.error(
                        operand.start,
                        &operand.source,
                        &format!("nil pointer evaluating interface {{}}.{field}"),
                    ));
                }
                other => {
                    return Err(self.error(
                        operand.start,
                        &operand.source,
                        &format!(
                            "can't evaluate field {field} in type {}",
                            funcs::go_type(&other)
                        ),
                    ));
                }
            };
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Failure, execute};

    fn message(failure: Failure) -> String {
        match failure {
            Failure::Parse(m) | Failure::Execute(m) => m,
        }
    }

    fn data() -> serde_json::Value {
        json!({"user": "app", "password": "p<&>w", "config": "{\"host\":\"db\",\"port\":5432}"})
    }

    #[test]
    fn renders_fields_pipelines_and_the_common_functions() {
        let cases = [
            ("{{ .user }}:{{ .password }}", "app:p<&>w"),
            ("{{ .user | b64enc }}", "YXBw"),
            ("{{ \"YXBw\" | b64dec }}", "app"),
            ("{{ .password | toJson }}", "\"p\\u003c\\u0026\\u003ew\""),
            ("{{ .user | upper | quote }}", "\"APP\""),
            ("{{ \"  X \" | trim | lower }}", "x"),
            ("{{ (.config | fromJson).host }}", "db"),
            ("{{ (fromJson .config).port }}", "5432"),
            (
                "{{ printf \"%s:%s\" .user .password | b64enc }}",
                "YXBwOnA8Jj53",
            ),
            ("a {{- \" b \" -}} c", "a b c"),
            ("{{ if .user }}yes{{ else }}no{{ end }}", "yes"),
            (
                "{{ if eq .user \"x\" }}1{{ else if eq .user \"app\" }}2{{ else }}3{{ end }}",
                "2",
            ),
            ("{{/* a comment */}}ok", "ok"),
            ("{{ . | toJson }}", ""),
        ];
        for (template, want) in cases {
            let got = execute("k", template, &data()).unwrap();
            if template == "{{ . | toJson }}" {
                assert!(got.starts_with("{\"config\":"), "{got}");
                continue;
            }
            assert_eq!(got, want, "{template}");
        }
    }

    #[test]
    fn errors_are_worded_as_text_template_words_them() {
        assert_eq!(
            execute("password", "{{ .user | foo }}", &data()).unwrap_err(),
            Failure::Parse("template: password:1: function \"foo\" not defined".to_owned())
        );
        assert_eq!(
            message(execute("password", "{{ .nokey }}", &data()).unwrap_err()),
            "template: password:1:3: executing \"password\" at <.nokey>: map has no entry for key \"nokey\""
        );
        assert_eq!(
            message(execute("k", "{{ .user", &data()).unwrap_err()),
            "template: k:1: unclosed action"
        );
        assert!(
            message(execute("k", "{{ .user | sha1sum }}", &data()).unwrap_err())
                .contains("\"sha1sum\" is not simulated")
        );
        assert_eq!(
            message(execute("k", "{{ if .user }}x", &data()).unwrap_err()),
            "template: k:1: unexpected EOF"
        );
    }
}
