package pyliteral

import "strings"

// parseIdent parses a bare word: one of the Python or JSON keywords, or the
// prefix of a string literal such as u'...'. Any other word is an error,
// with a dedicated message for the spellings of infinity and NaN because
// clients that serialise floats naively do send them.
func (p *parser) parseIdent() (any, error) {
	start := p.pos
	end := scanIdent(p.src, start)
	word := p.src[start:end]
	if _, isString, err := stringPrefix(p.src, start); err != nil {
		return nil, err
	} else if isString {
		return p.parseStrings()
	}
	var v any
	switch word {
	case "True", "true":
		v = true
	case "False", "false":
		v = false
	case "None", "null":
		v = nil
	default:
		if isNonFinite(word) {
			return nil, errAt(start, "non-finite numbers are not supported")
		}
		return nil, errAt(start, "unexpected identifier %s", quoteToken(word))
	}
	p.pos = end
	// The keyword itself is the clearest name for its kind in an error.
	p.kind = word
	return v, nil
}

// isNonFinite reports whether word spells infinity or NaN as Python's repr
// (inf, nan) or JavaScript and Python's json module (Infinity, NaN) do.
func isNonFinite(word string) bool {
	switch strings.ToLower(word) {
	case "inf", "infinity", "nan":
		return true
	}
	return false
}

// scanIdent returns the end of the ASCII identifier starting at off.
// Non-ASCII identifiers never appear in the data this package reads, so
// they are left to be reported as unexpected characters.
func scanIdent(src string, off int) int {
	i := off
	for i < len(src) && isIdentChar(src[i]) {
		i++
	}
	return i
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
