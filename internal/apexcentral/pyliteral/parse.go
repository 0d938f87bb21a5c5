package pyliteral

// maxDepth is the deepest nesting of dicts, lists, tuples and parentheses
// Parse accepts. Real settings objects are a few levels deep; the limit keeps
// the recursive descent from exhausting the stack on hostile input.
const maxDepth = 64

// Parse parses src as either a JSON value or a Python literal and returns
// the value as Go data: map[string]any (keys must be strings), []any, string,
// int64 (integers; error if out of int64 range), float64, bool, nil.
// Tuples `(a, b)` become []any too. Dict key order is not preserved (map).
//
// Every error Parse returns is a *SyntaxError.
func Parse(src string) (any, error) {
	p := &parser{src: src}
	p.skipSpace()
	if p.pos == len(src) {
		return nil, errAt(0, "empty input")
	}
	v, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(src) {
		return nil, errAt(p.pos, "unexpected trailing data")
	}
	return v, nil
}

// parser holds the state of one Parse call.
type parser struct {
	src   string
	pos   int // offset of the next unread byte
	depth int // containers currently open

	// kind names the type of the value most recently parsed, so that a
	// rejected dict key can be described as the client wrote it ("tuple",
	// "None") rather than as the Go type it became.
	kind string
}

// skipSpace moves past the whitespace JSON and Python both allow between
// tokens.
func (p *parser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parseValue parses the value starting at p.pos, which the caller has
// already moved past any whitespace.
func (p *parser) parseValue() (any, error) {
	if p.pos >= len(p.src) {
		return nil, errAt(p.pos, "unexpected end of input, expected a value")
	}
	switch c := p.src[p.pos]; {
	case c == '{':
		return p.parseDict()
	case c == '[':
		return p.parseList()
	case c == '(':
		return p.parseParen()
	case c == '\'' || c == '"':
		return p.parseStrings()
	case c == '-' || c == '+' || isDigit(c) || (c == '.' && p.pos+1 < len(p.src) && isDigit(p.src[p.pos+1])):
		return p.parseNumber()
	case isIdentStart(c):
		return p.parseIdent()
	}
	return nil, unexpectedAt(p.src, p.pos)
}

// enter records that a container opened at offset open and fails once the
// nesting exceeds maxDepth. Every successful enter is paired with a leave.
func (p *parser) enter(open int) error {
	if p.depth >= maxDepth {
		return errAt(open, "nesting too deep: more than %d levels", maxDepth)
	}
	p.depth++
	return nil
}

func (p *parser) leave() { p.depth-- }

// unterminated reports a container that the input ends inside.
func (p *parser) unterminated(what string, open int) error {
	return errAt(len(p.src), "unterminated %s starting at offset %d", what, open)
}

// parseList parses `[a, b, ...]` with an optional trailing comma.
func (p *parser) parseList() (any, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++
	out, err := p.parseElements(make([]any, 0), ']', "list", open)
	p.kind = "list"
	return out, err
}

// parseParen parses `(...)`: the empty tuple `()`, a tuple `(a,)` or
// `(a, b)`, or a single parenthesised value `(a)`, which Python reads as the
// value itself.
func (p *parser) parseParen() (any, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.unterminated("tuple", open)
	}
	if p.src[p.pos] == ')' {
		p.pos++
		p.kind = "tuple"
		return make([]any, 0), nil
	}
	first, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.unterminated("tuple", open)
	}
	switch p.src[p.pos] {
	case ')':
		// A parenthesised value keeps the kind of the value inside.
		p.pos++
		return first, nil
	case ',':
		p.pos++
		out, err := p.parseElements([]any{first}, ')', "tuple", open)
		p.kind = "tuple"
		return out, err
	}
	return nil, errAt(p.pos, "expected ',' or ')' after tuple element")
}

// parseElements parses the rest of a list or tuple up to and including the
// closing byte, appending the elements to out. It is entered just after the
// opening bracket or after a comma, so a closing byte may come next: that is
// either an empty container or a trailing comma, both of which are allowed.
func (p *parser) parseElements(out []any, closing byte, what string, open int) ([]any, error) {
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated(what, open)
		}
		if p.src[p.pos] == closing {
			p.pos++
			return out, nil
		}
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated(what, open)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case closing:
			p.pos++
			return out, nil
		default:
			return nil, errAt(p.pos, "expected ',' or '%c' after %s element", closing, what)
		}
	}
}

// parseDict parses `{k: v, ...}` with an optional trailing comma. Keys must
// be strings because the result is a map[string]any; a repeated key keeps
// its last value, as in Python and encoding/json.
func (p *parser) parseDict() (any, error) {
	open := p.pos
	if err := p.enter(open); err != nil {
		return nil, err
	}
	defer p.leave()
	p.pos++
	out := make(map[string]any)
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated("dict", open)
		}
		if p.src[p.pos] == '}' {
			p.pos++
			p.kind = "dict"
			return out, nil
		}
		keyOff := p.pos
		k, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, errAt(keyOff, "dict keys must be strings, got %s", p.kind)
		}
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated("dict", open)
		}
		if p.src[p.pos] != ':' {
			return nil, errAt(p.pos, "expected ':' after dict key")
		}
		p.pos++
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated("dict", open)
		}
		v, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		out[key] = v
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.unterminated("dict", open)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.kind = "dict"
			return out, nil
		default:
			return nil, errAt(p.pos, "expected ',' or '}' after dict value")
		}
	}
}
