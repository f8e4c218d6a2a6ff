//! Wireshark display-filter syntax → checked [`Expr`].
//!
//! Grammar (Wireshark 4 precedence, loosest first):
//! ```text
//! expr     := xor ( ("||" | "or") xor )*
//! xor      := and ( ("^^" | "xor") and )*
//! and      := unary ( ("&&" | "and") unary )*
//! unary    := ("!" | "not") unary | "(" expr ")" | test
//! test     := ["any" | "all"] operand [ relop value | "in" set | "not" "in" set ]
//! operand  := FIELD ["[" slice "]"] ["&" literal]
//! value    := FIELD ["[" slice "]"] | literal
//! set      := "{" item ( [","] item )* "}"          item := literal [".." literal]
//! relop    := == != === ~= !== < <= > >= eq ne lt le gt ge contains matches ~
//! ```
//! Names are resolved and literals typed while parsing (the field is always on the left),
//! so errors point at the exact word. A word on the right that is a field name is a field
//! (as in Wireshark: `ip.proto == tcp` compares two fields and is a type error).
//!
//! Recursion is bounded by [`MAX_DEPTH`] (parentheses and `!`); chains of the same
//! operator are loops, not recursion.

use super::ast::{Const, Expr, FieldRef, Op, Operand, Quant, Rhs, SetItem, Test};
use super::check::{self, Lit};
use super::error::{FilterError, MAX_DEPTH};
use super::lexer::{lex, Mode, Tok, Token};

/// Parses display-filter text.
///
/// # Errors
/// Syntax errors, unknown fields, values of the wrong type, too deep nesting.
pub(crate) fn parse(text: &str) -> Result<Expr, FilterError> {
    let toks = lex(text, Mode::Display)?;
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        len: text.len(),
    };
    if p.toks.is_empty() {
        return Err(FilterError::new("empty filter", 0, 0));
    }
    let e = p.expr()?;
    if let Some(t) = p.peek() {
        let (s, e2) = (t.start, t.end);
        let what = describe(&t.tok);
        let hint = match &t.tok {
            Tok::Word(_) | Tok::Str(_) | Tok::Char(_) => " (missing && or ||?)",
            Tok::RParen => " (unbalanced parentheses)",
            _ => "",
        };
        return Err(FilterError::new(format!("unexpected {what}{hint}"), s, e2));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    len: usize,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("\"{w}\""),
        Tok::Str(_) => "string".into(),
        Tok::Char(_) => "character constant".into(),
        Tok::Slice(s) => format!("[{s}]"),
        Tok::LParen => "(".into(),
        Tok::RParen => ")".into(),
        Tok::LBrace => "{".into(),
        Tok::RBrace => "}".into(),
        Tok::Comma => ",".into(),
        Tok::DotDot => "..".into(),
        Tok::Eq => "==".into(),
        Tok::Ne => "!=".into(),
        Tok::AllEq => "===".into(),
        Tok::AnyNe => "~=".into(),
        Tok::Lt => "<".into(),
        Tok::Le => "<=".into(),
        Tok::Gt => ">".into(),
        Tok::Ge => ">=".into(),
        Tok::AndAnd => "&&".into(),
        Tok::OrOr => "||".into(),
        Tok::XorXor => "^^".into(),
        Tok::Bang => "!".into(),
        Tok::Amp => "&".into(),
        Tok::Pipe => "|".into(),
        Tok::Tilde => "~".into(),
        Tok::Arith(c) => c.to_string(),
    }
}

fn is_word(t: &Tok, kw: &str) -> bool {
    matches!(t, Tok::Word(w) if w == kw || w.eq_ignore_ascii_case(kw) && w.chars().all(|c| c.is_ascii_uppercase()))
}

/// An operator token: (default quantifier, operator, whether the token fixes the quantifier).
fn relop(t: &Tok) -> Option<(Quant, Op, bool)> {
    Some(match t {
        Tok::Eq => (Quant::Any, Op::Eq, false),
        Tok::Ne => (Quant::All, Op::Ne, false),
        Tok::AllEq => (Quant::All, Op::Eq, true),
        Tok::AnyNe => (Quant::Any, Op::Ne, true),
        Tok::Lt => (Quant::Any, Op::Lt, false),
        Tok::Le => (Quant::Any, Op::Le, false),
        Tok::Gt => (Quant::Any, Op::Gt, false),
        Tok::Ge => (Quant::Any, Op::Ge, false),
        Tok::Tilde => (Quant::Any, Op::Matches, false),
        t if is_word(t, "eq") => (Quant::Any, Op::Eq, false),
        t if is_word(t, "ne") => (Quant::All, Op::Ne, false),
        t if is_word(t, "lt") => (Quant::Any, Op::Lt, false),
        t if is_word(t, "le") => (Quant::Any, Op::Le, false),
        t if is_word(t, "gt") => (Quant::Any, Op::Gt, false),
        t if is_word(t, "ge") => (Quant::Any, Op::Ge, false),
        t if is_word(t, "contains") => (Quant::Any, Op::Contains, false),
        t if is_word(t, "matches") => (Quant::Any, Op::Matches, false),
        t if is_word(t, "in") => (Quant::Any, Op::In, false),
        _ => return None,
    })
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn peek_tok(&self) -> Option<&Tok> {
        self.peek().map(|t| &t.tok)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }

    fn end_pos(&self) -> usize {
        self.len
    }

    fn unexpected_end(&self, what: &str) -> FilterError {
        FilterError::new(
            format!("unexpected end of filter: expected {what}"),
            self.end_pos(),
            self.end_pos(),
        )
    }

    fn expr(&mut self) -> Result<Expr, FilterError> {
        let mut v = vec![self.xor()?];
        while self
            .peek_tok()
            .is_some_and(|t| *t == Tok::OrOr || is_word(t, "or"))
        {
            self.pos += 1;
            v.push(self.xor()?);
        }
        Ok(Expr::or(v))
    }

    fn xor(&mut self) -> Result<Expr, FilterError> {
        let mut e = self.and()?;
        let depth = self.depth;
        while let Some(t) = self
            .peek()
            .filter(|t| t.tok == Tok::XorXor || is_word(&t.tok, "xor"))
        {
            // Xor is binary: a chain nests one level per operator (bounded like parentheses,
            // since printing and evaluating recurse through it).
            let at = t.start;
            self.pos += 1;
            self.enter(at)?;
            let r = self.and()?;
            e = Expr::Xor(Box::new(e), Box::new(r));
        }
        self.depth = depth;
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut v = vec![self.unary()?];
        while self
            .peek_tok()
            .is_some_and(|t| *t == Tok::AndAnd || is_word(t, "and"))
        {
            self.pos += 1;
            v.push(self.unary()?);
        }
        Ok(Expr::and(v))
    }

    fn enter(&mut self, at: usize) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                format!("filter nested deeper than {MAX_DEPTH} levels"),
                at,
                at + 1,
            ));
        }
        Ok(())
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        let Some(t) = self.peek().cloned() else {
            return Err(self.unexpected_end("a field name, ! or ("));
        };
        if t.tok == Tok::Bang || is_word(&t.tok, "not") {
            self.pos += 1;
            self.enter(t.start)?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::not(e));
        }
        if t.tok == Tok::LParen {
            self.pos += 1;
            self.enter(t.start)?;
            let e = self.expr()?;
            self.depth -= 1;
            match self.next() {
                Some(Token {
                    tok: Tok::RParen, ..
                }) => return Ok(e),
                Some(x) => {
                    return Err(FilterError::new(
                        format!(
                            "expected ) to close the ( at byte {}, found {}",
                            t.start,
                            describe(&x.tok)
                        ),
                        x.start,
                        x.end,
                    ))
                }
                None => {
                    return Err(FilterError::new("missing ) for this (", t.start, t.end));
                }
            }
        }
        self.test()
    }

    /// A field with an optional slice.
    fn field(&mut self) -> Result<(FieldRef, usize, usize), FilterError> {
        let Some(t) = self.next() else {
            return Err(self.unexpected_end("a field name"));
        };
        let Tok::Word(name) = &t.tok else {
            let msg = match &t.tok {
                Tok::Str(_) => "a test starts with a field name, not a string".to_string(),
                other => format!("expected a field name, found {}", describe(other)),
            };
            return Err(FilterError::new(msg, t.start, t.end));
        };
        let def = check::resolve_field(name, t.start, t.end)?;
        let mut end = t.end;
        let mut slice = None;
        if let Some(Token {
            tok: Tok::Slice(s),
            start,
            end: e,
        }) = self.peek().cloned()
        {
            self.pos += 1;
            let r = FieldRef { def, slice: None };
            if !slice_ok(&r) {
                return Err(FilterError::new(
                    format!(
                        "{} is {} and cannot be sliced",
                        def.name,
                        check::type_name(&r)
                    ),
                    start,
                    e,
                ));
            }
            slice = Some(check::parse_slice(&s, start, e)?);
            end = e;
        }
        Ok((FieldRef { def, slice }, t.start, end))
    }

    fn literal_token(&mut self, what: &str) -> Result<Token, FilterError> {
        match self.next() {
            Some(t) if matches!(t.tok, Tok::Word(_) | Tok::Str(_) | Tok::Char(_)) => Ok(t),
            Some(t) => Err(FilterError::new(
                format!("expected {what}, found {}", describe(&t.tok)),
                t.start,
                t.end,
            )),
            None => Err(self.unexpected_end(what)),
        }
    }

    fn test(&mut self) -> Result<Expr, FilterError> {
        let mut explicit = None;
        if let Some(t) = self.peek().cloned() {
            // `any`/`all` are quantifiers unless they are the whole test (no such fields).
            let next_is_word = matches!(
                self.toks.get(self.pos + 1).map(|x| &x.tok),
                Some(Tok::Word(_))
            );
            if (is_word(&t.tok, "any") || is_word(&t.tok, "all")) && next_is_word {
                self.pos += 1;
                let q = if is_word(&t.tok, "any") {
                    Quant::Any
                } else {
                    Quant::All
                };
                explicit = Some((q, t.start, t.end));
            }
        }
        let (field, fstart, fend) = self.field()?;
        let mut mask = None;
        if self.peek_tok() == Some(&Tok::Amp) {
            let amp = self.next().map_or(fend, |t| t.start);
            check::check_op(&field, Op::Nonzero, amp, amp + 1)?;
            let t = self.literal_token("a mask after &")?;
            mask = Some(check::mask(lit_of(&t.tok), &field, t.start, t.end)?);
        }
        let Some(op_tok) = self.peek().cloned() else {
            return self.bare(explicit, field, mask, fstart, fend);
        };
        // `a not in {…}` is `!(a in {…})`.
        let negate_in = is_word(&op_tok.tok, "not")
            && self
                .toks
                .get(self.pos + 1)
                .is_some_and(|t| is_word(&t.tok, "in"));
        let (def_quant, op, fixed) = if negate_in {
            self.pos += 1;
            (Quant::Any, Op::In, false)
        } else {
            match relop(&op_tok.tok) {
                Some(x) => x,
                None => return self.bare(explicit, field, mask, fstart, fend),
            }
        };
        self.pos += 1;
        let quant = match explicit {
            Some((q, s, e)) => {
                if fixed {
                    return Err(FilterError::new(
                        format!(
                            "{} already says any/all; drop the quantifier",
                            describe(&op_tok.tok)
                        ),
                        s,
                        e,
                    ));
                }
                q
            }
            None => def_quant,
        };
        check::check_op(&field, op, op_tok.start, op_tok.end)?;
        let rhs = if op == Op::In {
            Rhs::Set(self.set(&field)?)
        } else {
            self.value(&field, op)?
        };
        let t = Test {
            quant,
            lhs: Operand { field, mask },
            op,
            rhs,
        };
        let e = Expr::Test(Box::new(t));
        Ok(if negate_in { Expr::not(e) } else { e })
    }

    /// A test without an operator: presence, or `field & mask` (non-zero).
    fn bare(
        &mut self,
        explicit: Option<(Quant, usize, usize)>,
        field: FieldRef,
        mask: Option<Const>,
        fstart: usize,
        fend: usize,
    ) -> Result<Expr, FilterError> {
        if let Some(m) = mask {
            let quant = explicit.map_or(Quant::Any, |x| x.0);
            return Ok(Expr::Test(Box::new(Test {
                quant,
                lhs: Operand {
                    field,
                    mask: Some(m),
                },
                op: Op::Nonzero,
                rhs: Rhs::None,
            })));
        }
        if let Some((_, s, e)) = explicit {
            return Err(FilterError::new(
                "any/all needs a comparison after the field",
                s,
                e.max(fend),
            ));
        }
        if let Some(t) = self.peek() {
            let joins = ["and", "or", "xor"].iter().any(|k| is_word(&t.tok, k));
            if matches!(t.tok, Tok::Word(_) | Tok::Str(_) | Tok::Char(_)) && !joins {
                return Err(FilterError::new(
                    format!(
                        "expected an operator (==, !=, contains, …) after {}, found {}",
                        field,
                        describe(&t.tok)
                    ),
                    t.start,
                    t.end,
                ));
            }
        }
        let _ = fstart;
        Ok(Expr::Exists(field))
    }

    /// The right side of a comparison: a field or a literal.
    fn value(&mut self, field: &FieldRef, op: Op) -> Result<Rhs, FilterError> {
        let t = self.literal_token("a value")?;
        if let Tok::Word(w) = &t.tok {
            if op != Op::Matches {
                if let Some(def) = crate::schema().get(w) {
                    let mut other = FieldRef { def, slice: None };
                    let mut end = t.end;
                    if let Some(Token {
                        tok: Tok::Slice(s),
                        start,
                        end: e,
                    }) = self.peek().cloned()
                    {
                        self.pos += 1;
                        if !slice_ok(&other) {
                            return Err(FilterError::new(
                                format!("{} cannot be sliced", def.name),
                                start,
                                e,
                            ));
                        }
                        other.slice = Some(check::parse_slice(&s, start, e)?);
                        end = e;
                    }
                    if !compatible(field, &other) {
                        return Err(FilterError::new(
                            format!(
                                "{field} and {other} are not of compatible types ({} vs {})",
                                check::type_name(field),
                                check::type_name(&other)
                            ),
                            t.start,
                            end,
                        ));
                    }
                    if matches!(op, Op::Contains) && other.kind() != field.kind() {
                        return Err(FilterError::new(
                            "contains needs two values of the same type",
                            t.start,
                            end,
                        ));
                    }
                    return Ok(Rhs::Field(other));
                }
            }
        }
        let c = check::literal(lit_of(&t.tok), field, op, t.start, t.end)?;
        check_prefix(&c, op, t.start, t.end)?;
        Ok(Rhs::Const(c))
    }

    fn set(&mut self, field: &FieldRef) -> Result<Vec<SetItem>, FilterError> {
        let open = match self.next() {
            Some(t) if t.tok == Tok::LBrace => t,
            Some(t) => {
                return Err(FilterError::new(
                    format!("expected {{ after in, found {}", describe(&t.tok)),
                    t.start,
                    t.end,
                ))
            }
            None => return Err(self.unexpected_end("{ after in")),
        };
        let mut items = Vec::new();
        loop {
            match self.peek_tok() {
                Some(Tok::RBrace) => {
                    self.pos += 1;
                    break;
                }
                Some(Tok::Comma) if !items.is_empty() => {
                    self.pos += 1;
                    continue;
                }
                None => {
                    return Err(FilterError::new(
                        "missing } for this {",
                        open.start,
                        open.end,
                    ))
                }
                _ => {}
            }
            let t = self.literal_token("a set member")?;
            let lo = check::literal(lit_of(&t.tok), field, Op::Eq, t.start, t.end)?;
            if self.peek_tok() == Some(&Tok::DotDot) {
                self.pos += 1;
                let t2 = self.literal_token("the end of the range")?;
                let hi = check::literal(lit_of(&t2.tok), field, Op::Eq, t2.start, t2.end)?;
                check_prefix(&lo, Op::Lt, t.start, t.end)?;
                check_prefix(&hi, Op::Lt, t2.start, t2.end)?;
                items.push(SetItem::Range(lo, hi));
            } else {
                items.push(SetItem::One(lo));
            }
        }
        if items.is_empty() {
            return Err(FilterError::new("empty set", open.start, open.end));
        }
        Ok(items)
    }
}

fn lit_of(t: &Tok) -> Lit<'_> {
    match t {
        Tok::Word(w) => Lit::Word(w),
        Tok::Str(b) => Lit::Str(b),
        Tok::Char(c) => Lit::Char(*c),
        _ => Lit::Word(""),
    }
}

/// Which fields can be sliced: anything with a byte representation.
fn slice_ok(r: &FieldRef) -> bool {
    use crate::field::FieldType as T;
    matches!(
        r.def.ftype,
        T::Protocol | T::Bytes | T::Str | T::Ether | T::Ipv4 | T::Ipv6
    )
}

/// Two fields can be compared when their values have the same kind (integers of any width
/// compare with integers).
fn compatible(a: &FieldRef, b: &FieldRef) -> bool {
    use super::ast::Kind;
    match (a.kind(), b.kind()) {
        (Kind::Int { .. } | Kind::Bool, Kind::Int { .. } | Kind::Bool) => true,
        (Kind::Time { .. }, Kind::Time { .. }) => true,
        (Kind::Label, _) | (_, Kind::Label) => false,
        (x, y) => x == y,
    }
}

/// A network (`/n`) only makes sense with equality.
fn check_prefix(c: &Const, op: Op, start: usize, end: usize) -> Result<(), FilterError> {
    let net =
        matches!(c, Const::Ipv4(_, p) if *p < 32) || matches!(c, Const::Ipv6(_, p) if *p < 128);
    if net && !matches!(op, Op::Eq | Op::Ne | Op::In) {
        return Err(FilterError::new(
            "a network (/prefix) can only be compared with ==, != or in",
            start,
            end,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        match parse(s) {
            Ok(e) => e.to_string(),
            Err(e) => panic!("{s}: {}", e.in_text(s).render()),
        }
    }

    fn err(s: &str) -> FilterError {
        match parse(s) {
            Ok(e) => panic!("{s} parsed as {e}"),
            Err(e) => e.in_text(s),
        }
    }

    #[test]
    fn canonical_text() {
        assert_eq!(ok("tcp.port==80"), "tcp.port == 80");
        assert_eq!(
            ok("tcp.port eq 80 and not ip.ttl lt 5"),
            "tcp.port == 80 && !(ip.ttl < 5)"
        );
        assert_eq!(ok("ip.addr != 10.0.0.1"), "ip.addr != 10.0.0.1");
        assert_eq!(ok("any ip.addr != 10.0.0.1"), "ip.addr ~= 10.0.0.1");
        assert_eq!(ok("all ip.addr == 10.0.0.0/8"), "ip.addr === 10.0.0.0/8");
        assert_eq!(ok("all tcp.port > 1024"), "all tcp.port > 1024");
        assert_eq!(
            ok("tcp.port in {80 443 8000..8080}"),
            "tcp.port in {80, 443, 8000..8080}"
        );
        assert_eq!(ok("tcp.port not in {80,443}"), "!(tcp.port in {80, 443})");
        assert_eq!(ok("tcp.flags & 0x02"), "tcp.flags & 0x2");
        assert_eq!(ok("tcp.flags & 0x12 == 0x12"), "tcp.flags & 0x12 == 0x12");
        assert_eq!(ok("eth.src[0:3] == 00:1B:21"), "eth.src[0:3] == 00:1b:21");
        assert_eq!(ok("eth.src[1-2] == 1b:21"), "eth.src[1:2] == 1b:21");
        assert_eq!(ok("tcp[13] == 12"), "tcp[13] == 12");
        assert_eq!(ok("ip.proto == TCP"), "ip.proto == 6");
        assert_eq!(ok("ip.proto == \"udp\""), "ip.proto == 17");
        assert_eq!(ok("tcp.flags.syn == True"), "tcp.flags.syn == 1");
        assert_eq!(
            ok("http.request.method == GET"),
            "http.request.method == \"GET\""
        );
        assert_eq!(
            ok("dns.qry.name contains \"ex\\x41\""),
            "dns.qry.name contains \"exA\""
        );
        assert_eq!(ok("frame contains \"GET\""), "frame contains \"GET\"");
        assert_eq!(
            ok("http.request.uri matches \"\\\\.jpg$\""),
            "http.request.uri matches \"\\\\.jpg$\""
        );
        assert_eq!(
            ok("tcp.srcport == tcp.dstport"),
            "tcp.srcport == tcp.dstport"
        );
    }

    #[test]
    fn precedence() {
        assert_eq!(ok("tcp || udp && ip"), "tcp || (udp && ip)");
        assert_eq!(ok("(tcp || udp) && ip"), "(tcp || udp) && ip");
        assert_eq!(ok("tcp && (udp && ip)"), "tcp && (udp && ip)");
        assert_eq!(ok("tcp ^^ udp ^^ ip"), "tcp ^^ udp ^^ ip");
        assert_eq!(ok("!!tcp"), "!!tcp");
        assert_eq!(ok("!tcp.port == 80 && tcp"), "!(tcp.port == 80) && tcp");
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = err("tcp.prot == 80");
        assert_eq!(e.message, "unknown field tcp.prot (did you mean tcp.port?)");
        assert_eq!((e.start, e.end), (0, 8));
        assert_eq!(e.suggestion.as_deref(), Some("tcp.port"));
        let e = err("ip.src == \"abc\"");
        assert_eq!(e.message, "ip.src is an IPv4 address, \"abc\" is not");
        assert_eq!((e.start, e.end), (10, 15));
        let e = err("tcp.port == 70000");
        assert!(
            e.message.contains("unsigned integer (16 bits)"),
            "{}",
            e.message
        );
        assert_eq!(err("tcp.port ==").start, 11);
        assert!(err("(tcp").message.contains("missing )"));
        assert!(err("tcp)").message.contains("unbalanced"));
        assert!(err("tcp.port 80").message.contains("expected an operator"));
        assert!(err("ip.addr > 10.0.0.0/8").message.contains("network"));
        assert!(err("ip.proto == tcp").message.contains("compatible"));
        assert!(err("tcp.analysis.retransmission == 1")
            .message
            .contains("no value"));
        assert!(err("ip.ttl contains 3").message.contains("contains"));
        assert!(err("ip.ttl[0] == 1").message.contains("cannot be sliced"));
        assert!(err("http.host matches \"(\"")
            .message
            .contains("regular expression"));
        assert!(err("tcp.port in {}").message.contains("empty set"));
        assert!(err("80 == tcp.port").message.contains("not a field name"));
        assert!(err("").message.contains("empty"));
        assert!(err("any tcp.port === 1").message.contains("quantifier"));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}tcp{}", "(".repeat(MAX_DEPTH), ")".repeat(MAX_DEPTH));
        assert!(parse(&deep).is_ok());
        let deeper = format!(
            "{}tcp{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deeper).unwrap_err().message.contains("nested"));
        let nots = format!("{}tcp", "!".repeat(10_000));
        assert!(parse(&nots).is_err());
    }
}
