package pyliteral

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"testing"
)

// fuzzSeeds cover each part of the grammar once; the committed corpus in
// testdata/fuzz/FuzzParse holds further cases, including any crasher found.
var fuzzSeeds = []string{
	seedRepr,
	`{"a": [1, 2.5, "x\u00e9\ud83d\ude00"], "b": null, "c": true}`,
	`{'t': True, 'f': False, 'n': None, 'x': -1.5e-10, 'y': 1e+100}`,
	`{'a': (1, 2), 'b': (), 'c': (3,), 'd': (4)}`,
	`'\\\'\"\n\r\t\b\f\v\a\0\101\x41\u00e9\U0001F600\/\q'`,
	`"it's" 'x' u'y'`,
	"'a\\\nb'",
	`[1_000, 012.5, .5, 1., -0, +7, 9223372036854775807]`,
	`{'a': 1, 'a': 2,}`,
	`[[[[[[[[[[]]]]]]]]]]`,
	`1e20`,
	`"\ud800\udc00\ud800"`,
	"'\xff\xfe'",
}

// FuzzParse checks three properties on arbitrary input: Parse never panics
// and fails only with a *SyntaxError inside the input; on input that
// encoding/json also accepts, both produce the same value; and every value
// Parse returns survives a round trip through json.Marshal and Parse.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		v, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not *SyntaxError", src, err)
			}
			if se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("Parse(%q) error offset %d outside [0, %d]", src, se.Offset, len(src))
			}
			if v != nil {
				t.Fatalf("Parse(%q) returned %#v with error %v", src, v, err)
			}
			return
		}

		var fromJSON any
		if json.Unmarshal([]byte(src), &fromJSON) == nil {
			assertSame(t, "encoding/json", src, fromJSON, v)
		}

		enc, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal(Parse(%q)): %v", src, err)
		}
		back, err := Parse(string(enc))
		if err != nil {
			// encoding/json writes an integral float below 1e21 as bare
			// digits, and Parse by design reads bare digits as int64, so a
			// float of 2^63 or more cannot come back. That is the only
			// failure allowed here.
			var se *SyntaxError
			if errors.As(err, &se) && se.Msg == "integer out of int64 range" && hasHugeIntegralFloat(v) {
				return
			}
			t.Fatalf("Parse(json.Marshal(Parse(%q))) = Parse(%s): %v", src, enc, err)
		}
		assertSame(t, "round trip through "+string(enc), src, v, back)
	})
}

// assertSame fails the test unless want and got are equal once numbers are
// normalised. It uses reflect.DeepEqual rather than cmp because cmp's slice
// diff takes time exponential in the depth of nested one-element slices,
// which the fuzzer readily produces; DeepEqual's == on floats also equates
// 0 and -0, which JSON cannot tell apart after Parse reads "-0" as int64.
func assertSame(t *testing.T, what, src string, want, got any) {
	t.Helper()
	if !reflect.DeepEqual(normalizeNumbers(want), normalizeNumbers(got)) {
		t.Fatalf("Parse(%q) disagrees with %s:\nwant %#v\ngot  %#v", src, what, want, got)
	}
}

// hasHugeIntegralFloat reports whether v holds a float64 that
// encoding/json writes as an integer too large for int64.
func hasHugeIntegralFloat(v any) bool {
	switch v := v.(type) {
	case float64:
		return v == math.Trunc(v) && (v >= 1<<63 || v < -(1<<63)) && math.Abs(v) < 1e21
	case []any:
		for _, e := range v {
			if hasHugeIntegralFloat(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if hasHugeIntegralFloat(e) {
				return true
			}
		}
	}
	return false
}
