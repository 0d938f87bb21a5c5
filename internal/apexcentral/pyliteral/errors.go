package pyliteral

import (
	"fmt"
	"unicode/utf8"
)

// SyntaxError describes where and why parsing failed.
type SyntaxError struct {
	Offset int    // byte offset in the input where the problem was found
	Msg    string // e.g. "unterminated string starting at offset 1", "expected ':' after dict key", "unexpected character 'x'"
}

// Error formats the error as "at offset N: message", the form API clients
// see in the error description.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("at offset %d: %s", e.Offset, e.Msg)
}

// maxQuoted bounds how much of the input an error message repeats, so that a
// huge bad token cannot make the error description huge too.
const maxQuoted = 32

// errAt builds the error for a problem found at byte offset off.
func errAt(off int, format string, args ...any) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// unexpectedAt reports the character at off as not belonging there. Bytes
// that are not valid UTF-8 are named by their value, because printing them
// as characters would only show a replacement glyph.
func unexpectedAt(src string, off int) *SyntaxError {
	r, size := utf8.DecodeRuneInString(src[off:])
	if r == utf8.RuneError && size <= 1 {
		return errAt(off, "invalid UTF-8 byte 0x%02x", src[off])
	}
	return errAt(off, "unexpected character %q", r)
}

// quoteToken quotes a token from the input for an error message, cutting it
// short when it is long.
func quoteToken(tok string) string {
	if len(tok) > maxQuoted {
		return fmt.Sprintf("%q...", tok[:maxQuoted])
	}
	return fmt.Sprintf("%q", tok)
}
