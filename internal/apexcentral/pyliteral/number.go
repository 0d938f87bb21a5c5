package pyliteral

import (
	"strconv"
	"strings"
)

// parseNumber parses an integer or float literal with an optional sign.
// The syntax is Python's decimal literals, which include JSON's numbers:
// digits may be grouped with single underscores (1_000), floats may omit
// either side of the point (1. and .5), and an integer other than zero may
// not start with 0, which Python 3 rejects so that 012 is never mistaken
// for the octal of Python 2.
// Integers become int64 and floats float64; values neither can hold are
// errors rather than silently rounded or turned into infinity.
func (p *parser) parseNumber() (any, error) {
	src := p.src
	start := p.pos
	i := start
	if src[i] == '-' || src[i] == '+' {
		i++
	}
	if i >= len(src) || !(isDigit(src[i]) || (src[i] == '.' && i+1 < len(src) && isDigit(src[i+1]))) {
		if i < len(src) && isIdentStart(src[i]) && isNonFinite(src[i:scanIdent(src, i)]) {
			return nil, errAt(start, "non-finite numbers are not supported")
		}
		return nil, errAt(i, "expected a digit after '%c'", src[start])
	}

	intStart := i
	i, err := scanDigits(src, i)
	if err != nil {
		return nil, err
	}
	intEnd := i
	isFloat := false
	if i < len(src) && src[i] == '.' {
		isFloat = true
		if i, err = scanDigits(src, i+1); err != nil {
			return nil, err
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		isFloat = true
		i++
		if i < len(src) && (src[i] == '+' || src[i] == '-') {
			i++
		}
		if i >= len(src) || !isDigit(src[i]) {
			return nil, errAt(i, "missing digits in exponent")
		}
		if i, err = scanDigits(src, i); err != nil {
			return nil, err
		}
	}
	if i < len(src) {
		if err := badSuffix(src, i, start, !isFloat && src[intStart:intEnd] == "0"); err != nil {
			return nil, err
		}
	}
	p.pos = i
	p.kind = "number"
	text := strings.ReplaceAll(src[start:i], "_", "")

	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			// The syntax was checked above, so the only failure left is a
			// magnitude too large for float64.
			return nil, errAt(start, "number out of float64 range")
		}
		return f, nil
	}
	if digits := src[intStart:intEnd]; digits[0] == '0' && strings.Trim(digits, "0_") != "" {
		return nil, errAt(start, "leading zeros in decimal integer literals are not permitted")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, errAt(start, "integer out of int64 range")
	}
	return n, nil
}

// scanDigits returns the end of the run of digits starting at i, which may
// be empty. An underscore is allowed only between two digits, as in Python.
func scanDigits(src string, i int) (int, error) {
	if i >= len(src) || !isDigit(src[i]) {
		return i, nil
	}
	for i < len(src) {
		switch {
		case isDigit(src[i]):
			i++
		case src[i] == '_':
			if i+1 >= len(src) || !isDigit(src[i+1]) {
				return 0, errAt(i, "invalid '_' in number: underscores must separate digits")
			}
			i += 2
		default:
			return i, nil
		}
	}
	return i, nil
}

// badSuffix rejects a letter, digit, underscore or point glued to the end
// of a number, such as 1j, 0x1F or 1.2.3, which would otherwise surface as
// a vaguer "unexpected trailing data". The Python forms with a meaning of
// their own get a message naming it.
func badSuffix(src string, i, start int, bareZero bool) error {
	c := src[i]
	switch {
	case c == 'j' || c == 'J':
		return errAt(start, "complex numbers are not supported")
	case bareZero && strings.IndexByte("xXoObB", c) >= 0:
		return errAt(start, "hexadecimal, octal and binary integers are not supported")
	case isIdentChar(c) || c == '.':
		return errAt(i, "invalid character %q in number", c)
	}
	return nil
}
