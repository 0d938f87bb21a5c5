package pyliteral

import (
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// parseStrings parses one string literal and any literals that directly
// follow it, which Python joins into one string ('a' 'b' is "ab").
func (p *parser) parseStrings() (any, error) {
	var b strings.Builder
	for {
		quote, ok, err := stringPrefix(p.src, p.pos)
		if err != nil {
			return nil, err
		}
		if !ok {
			// Callers only come here at the start of a literal, so this is
			// unreachable; it is kept so that a future caller cannot loop.
			return nil, unexpectedAt(p.src, p.pos)
		}
		if err := p.scanString(&b, p.pos, quote); err != nil {
			return nil, err
		}
		end := p.pos
		p.skipSpace()
		// A prefix error (for example 'a' b'c') is reported by the next
		// round rather than ignored, because Python rejects that input too.
		if _, ok, err := stringPrefix(p.src, p.pos); !ok && err == nil {
			p.pos = end
			break
		}
	}
	p.kind = "string"
	return b.String(), nil
}

// stringPrefix reports whether a string literal starts at off, and if so the
// offset of its opening quote. The u prefix is accepted because Python 2's
// repr wrote every unicode string as u'...'; raw, bytes and f-string
// prefixes are errors because this package does not implement their
// meaning, and guessing it would silently change the data.
func stringPrefix(src string, off int) (quote int, ok bool, err error) {
	end := scanIdent(src, off)
	if end >= len(src) || (src[end] != '\'' && src[end] != '"') {
		return 0, false, nil
	}
	switch strings.ToLower(src[off:end]) {
	case "", "u":
		return end, true, nil
	case "r":
		return 0, false, errAt(off, "raw string literals are not supported")
	case "b", "br", "rb":
		return 0, false, errAt(off, "bytes literals are not supported")
	case "f", "fr", "rf":
		return 0, false, errAt(off, "f-strings are not supported")
	}
	return 0, false, nil
}

// scanString appends the contents of the literal whose opening quote is at
// quoteOff to b and leaves p.pos after its closing quote. litStart, where
// any prefix begins, is what errors name as the start of the string.
func (p *parser) scanString(b *strings.Builder, litStart, quoteOff int) error {
	src := p.src
	q := src[quoteOff]
	if quoteOff+2 < len(src) && src[quoteOff+1] == q && src[quoteOff+2] == q {
		return errAt(litStart, "triple-quoted strings are not supported")
	}
	i := quoteOff + 1
	for {
		if i >= len(src) {
			return errAt(len(src), "unterminated string starting at offset %d", litStart)
		}
		c := src[i]
		switch {
		case c == q:
			p.pos = i + 1
			return nil
		case c == '\n' || c == '\r':
			return errAt(i, "newline in string")
		case c == '\\':
			next, err := p.escape(b, i, litStart)
			if err != nil {
				return err
			}
			i = next
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			// Invalid UTF-8 becomes U+FFFD byte by byte, exactly as
			// encoding/json does, so both parsers agree on JSON input.
			r, size := utf8.DecodeRuneInString(src[i:])
			b.WriteRune(r)
			i += size
		}
	}
}

// escape decodes the escape sequence whose backslash is at i, appends its
// value to b and returns the offset just after it.
func (p *parser) escape(b *strings.Builder, i, litStart int) (int, error) {
	src := p.src
	if i+1 >= len(src) {
		return 0, errAt(len(src), "unterminated string starting at offset %d", litStart)
	}
	switch c := src[i+1]; c {
	case '\n':
		// A backslash before a line break continues the line (Python).
		return i + 2, nil
	case '\r':
		if i+2 < len(src) && src[i+2] == '\n' {
			return i + 3, nil
		}
		return i + 2, nil
	case '\\', '\'', '"', '/':
		b.WriteByte(c)
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'v':
		b.WriteByte('\v')
	case 'a':
		b.WriteByte('\a')
	case '0', '1', '2', '3', '4', '5', '6', '7':
		// Python reads up to three octal digits; the value is a code
		// point, not a byte, so \377 is U+00FF.
		j, v := i+1, rune(0)
		for j < i+4 && j < len(src) && '0' <= src[j] && src[j] <= '7' {
			v = v*8 + rune(src[j]-'0')
			j++
		}
		b.WriteRune(v)
		return j, nil
	case 'x':
		v, ok := hexAt(src, i+2, 2)
		if !ok {
			return 0, errAt(i, `invalid \x escape: need exactly 2 hex digits`)
		}
		b.WriteRune(rune(v))
		return i + 4, nil
	case 'u':
		return p.escapeU(b, i)
	case 'U':
		v, ok := hexAt(src, i+2, 8)
		if !ok {
			return 0, errAt(i, `invalid \U escape: need exactly 8 hex digits`)
		}
		if v > unicode.MaxRune {
			return 0, errAt(i, `invalid \U escape: code point out of range`)
		}
		// WriteRune turns a surrogate code point into U+FFFD, since a Go
		// string cannot hold one as valid UTF-8.
		b.WriteRune(rune(v))
		return i + 10, nil
	case 'N':
		return 0, errAt(i, `\N{...} escapes are not supported`)
	default:
		// Python keeps an unknown escape such as \q as written. Only the
		// backslash is consumed here; the character after it is read by
		// the caller like any other, so it may be multi-byte.
		b.WriteByte('\\')
		return i + 1, nil
	}
	return i + 2, nil
}

// escapeU decodes \uNNNN at i. A UTF-16 surrogate pair written as two
// escapes, as JSON encoders do for characters outside the BMP, becomes one
// rune; a surrogate that is not part of a valid pair becomes U+FFFD, which
// is what encoding/json does too.
func (p *parser) escapeU(b *strings.Builder, i int) (int, error) {
	src := p.src
	v, ok := hexAt(src, i+2, 4)
	if !ok {
		return 0, errAt(i, `invalid \u escape: need exactly 4 hex digits`)
	}
	r, next := rune(v), i+6
	if utf16.IsSurrogate(r) {
		if strings.HasPrefix(src[next:], `\u`) {
			if v2, ok := hexAt(src, next+2, 4); ok {
				if pair := utf16.DecodeRune(r, rune(v2)); pair != unicode.ReplacementChar {
					b.WriteRune(pair)
					return next + 6, nil
				}
			}
		}
		r = unicode.ReplacementChar
	}
	b.WriteRune(r)
	return next, nil
}

// hexAt reads exactly n hex digits at off and reports whether there were
// that many.
func hexAt(src string, off, n int) (uint32, bool) {
	if off+n > len(src) {
		return 0, false
	}
	var v uint32
	for _, c := range []byte(src[off : off+n]) {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		v = v<<4 | uint32(d)
	}
	return v, true
}
