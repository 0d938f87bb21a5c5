package pyliteral

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// seedRepr is the setting_data_JSON_string value from Trend Micro's
// tutorial, byte for byte as Python 3.11's str(dict) prints it.
const seedRepr = `{'AllowUpdateFromOtherAU': 1, 'UpdateComponentFromServerIfOUSFailed': 1, 'OUSList': [{'OUSSettingType': 'IPv4', 'OUSSettingJSONString': '{"FromIP": "10.1.1.2", "ToIP": "100.1.1.10", "OUS": "http://10.1.1.1:21112/activeupdate"}'}]}`

func TestSeedExample(t *testing.T) {
	got, err := Parse(seedRepr)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	inner := `{"FromIP": "10.1.1.2", "ToIP": "100.1.1.10", "OUS": "http://10.1.1.1:21112/activeupdate"}`
	want := map[string]any{
		"AllowUpdateFromOtherAU":               int64(1),
		"UpdateComponentFromServerIfOUSFailed": int64(1),
		"OUSList": []any{map[string]any{
			"OUSSettingType":       "IPv4",
			"OUSSettingJSONString": inner,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("Parse mismatch (-want +got):\n%s", diff)
	}

	// The inner setting is itself JSON, and the server reads it with the
	// same parser.
	innerGot, err := Parse(got.(map[string]any)["OUSList"].([]any)[0].(map[string]any)["OUSSettingJSONString"].(string))
	if err != nil {
		t.Fatalf("Parse(inner): %v", err)
	}
	innerWant := map[string]any{
		"FromIP": "10.1.1.2",
		"ToIP":   "100.1.1.10",
		"OUS":    "http://10.1.1.1:21112/activeupdate",
	}
	if diff := cmp.Diff(innerWant, innerGot); diff != "" {
		t.Fatalf("Parse(inner) mismatch (-want +got):\n%s", diff)
	}
}

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		// Outputs of Python 3.11's repr(), copied verbatim.
		{"py repr prefers single quotes", `'plain'`, "plain"},
		{"py repr of str with single quote", `"it's"`, "it's"},
		{"py repr of str with double quotes", `'say "hi"'`, `say "hi"`},
		{"py repr of str with both quotes", `'both \' and "'`, `both ' and "`},
		{"py repr of backslash", `'back\\slash'`, `back\slash`},
		{"py repr of tab newline return", `'tab\tnl\nret\r'`, "tab\tnl\nret\r"},
		{"py repr of control chars", `'\x00\x01\x1f\x7f'`, "\x00\x01\x1f\x7f"},
		{"py repr of non-printable BMP", `'café \xa0 \u200b \u2028'`, "café \u00a0 \u200b \u2028"},
		{"py repr of astral chars", `'😀 \U000e0001'`, "\U0001F600 \U000e0001"},
		{"py repr of lone surrogate", `['\ud800']`, []any{"\uFFFD"}},
		{"py repr of tuples", `{'a': (1, 2), 'b': (), 'c': (3,)}`,
			map[string]any{"a": []any{int64(1), int64(2)}, "b": []any{}, "c": []any{int64(3)}}},
		{"py repr of scalars",
			`{'t': True, 'f': False, 'n': None, 'x': -1.5e-10, 'y': 1e+100, 'z': 0.1, 'big': 9223372036854775807}`,
			map[string]any{"t": true, "f": false, "n": nil, "x": -1.5e-10, "y": 1e100, "z": 0.1, "big": int64(9223372036854775807)}},
		{"py2 repr with u prefix", `{u'key': u'value', U'k2': [u'x']}`, map[string]any{"key": "value", "k2": []any{"x"}}},

		// Output of Python's json.dumps, compact and indented.
		{"json.dumps", `{"a": [1, 2.5, "x\u00e9\ud83d\ude00"], "b": null, "c": true}`,
			map[string]any{"a": []any{int64(1), 2.5, "xé😀"}, "b": nil, "c": true}},
		{"json.dumps indent", "{\n  \"a\": [\n    1,\n    2.5\n  ],\n  \"b\": false\r\n}\n",
			map[string]any{"a": []any{int64(1), 2.5}, "b": false}},

		// Escapes, one at a time.
		{`escape \\`, `'\\'`, `\`},
		{`escape \'`, `'\''`, `'`},
		{`escape \"`, `"\""`, `"`},
		{`escape \" in single quotes`, `'\"'`, `"`},
		{`escape \n`, `'\n'`, "\n"},
		{`escape \r`, `'\r'`, "\r"},
		{`escape \t`, `'\t'`, "\t"},
		{`escape \b`, `'\b'`, "\b"},
		{`escape \f`, `'\f'`, "\f"},
		{`escape \v`, `'\v'`, "\v"},
		{`escape \a`, `'\a'`, "\a"},
		{`escape \0`, `'\0'`, "\x00"},
		{`escape \0 then digit 8`, `'\08'`, "\x008"},
		{`escape octal`, `'\101\7\777'`, "A\a\u01ff"},
		{`escape \x`, `'\x41\xff'`, "A\u00ff"},
		{`escape \u`, `'\u00e9\u20AC'`, "é€"},
		{`escape \U`, `'\U0001F600'`, "😀"},
		{`escape \/`, `"a\/b"`, "a/b"},
		{`escape surrogate pair`, `"\uD83D\uDE00"`, "😀"},
		{`escape high surrogate before non-surrogate`, `"\ud83dA\u0041"`, "\uFFFDAA"},
		{`escape reversed surrogates`, `"\ude00\ud83d"`, "\uFFFD\uFFFD"},
		{`escape \U surrogate`, `'\U0000d800'`, "\uFFFD"},
		{`unknown escape kept`, `'\q\8\ é'`, `\q\8\ é`},
		{`line continuation`, "'a\\\nb'", "ab"},
		{`line continuation CRLF`, "'a\\\r\nb'", "ab"},

		// Strings in general.
		{"empty strings", `['', ""]`, []any{"", ""}},
		{"implicit concatenation", `'a' "b"  u'c'`, "abc"},
		{"concatenation across lines", "['a'\n 'b', 'c']", []any{"ab", "c"}},
		{"raw tab in string", "'a\tb'", "a\tb"},
		{"raw unicode", `'日本語 😀'`, "日本語 😀"},
		{"invalid UTF-8 replaced", "'a\xffb'", "a\uFFFDb"},

		// Numbers.
		{"zero", `0`, int64(0)},
		{"double zero", `00`, int64(0)},
		{"negative", `-42`, int64(-42)},
		{"plus sign", `+7`, int64(7)},
		{"min int64", `-9223372036854775808`, int64(-9223372036854775808)},
		{"underscores", `1_000_000`, int64(1000000)},
		{"float", `3.25`, 3.25},
		{"float trailing point", `1.`, 1.0},
		{"float leading point", `-.5`, -0.5},
		{"float exponent", `1E3`, 1000.0},
		{"float negative exponent", `2.5e-3`, 0.0025},
		{"float leading zeros", `012.5`, 12.5},
		{"float underscores", `1_0.2_5e1_0`, 10.25e10},
		{"float underflow to zero", `1e-400`, 0.0},

		// Keywords.
		{"Python keywords", `[True, False, None]`, []any{true, false, nil}},
		{"JSON keywords", `[true, false, null]`, []any{true, false, nil}},

		// Containers.
		{"empty containers", `[{}, [], ()]`, []any{map[string]any{}, []any{}, []any{}}},
		{"trailing commas", `{'a': [1, 2,], 'b': (3, 4,),}`,
			map[string]any{"a": []any{int64(1), int64(2)}, "b": []any{int64(3), int64(4)}}},
		{"one-element tuple", `(1,)`, []any{int64(1)}},
		{"parenthesised value", `(1)`, int64(1)},
		{"parenthesised key", `{('k'): ((2))}`, map[string]any{"k": int64(2)}},
		{"duplicate keys last wins", `{'a': 1, 'a': 2}`, map[string]any{"a": int64(2)}},
		{"nested", `{'a': {'b': [{'c': ({'d': []},)}]}}`,
			map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": []any{map[string]any{"d": []any{}}}}}}}},
		{"whitespace everywhere", " \t\r\n{ 'a' :\n[ 1 ,\t2 ] , } \n", map[string]any{"a": []any{int64(1), int64(2)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("Parse(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestParseMaxDepth checks that exactly maxDepth levels are accepted. It
// walks the result by hand because cmp's slice diff is exponential in the
// nesting depth of single-element slices.
func TestParseMaxDepth(t *testing.T) {
	for _, open := range []string{"[", "(", "{'k':"} {
		closing := map[string]string{"[": "]", "(": ",)", "{'k':": "}"}[open]
		in := strings.Repeat(open, maxDepth) + "1" + strings.Repeat(closing, maxDepth)
		v, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%s x %d): %v", open, maxDepth, err)
		}
		for level := 0; level < maxDepth; level++ {
			switch c := v.(type) {
			case []any:
				if len(c) != 1 {
					t.Fatalf("level %d: got %d elements, want 1", level, len(c))
				}
				v = c[0]
			case map[string]any:
				if len(c) != 1 {
					t.Fatalf("level %d: got %d keys, want 1", level, len(c))
				}
				v = c["k"]
			default:
				t.Fatalf("level %d: got %T, want a container", level, v)
			}
		}
		if v != int64(1) {
			t.Fatalf("innermost value = %#v, want int64(1)", v)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{``, 0, "empty input"},
		{" \n\t", 0, "empty input"},
		{`1 2`, 2, "unexpected trailing data"},
		{`{} x`, 3, "unexpected trailing data"},
		{` 'abc`, 5, "unterminated string starting at offset 1"},
		{`u'abc`, 5, "unterminated string starting at offset 0"},
		{`'abc\`, 5, "unterminated string starting at offset 0"},
		{"'ab\ncd'", 3, "newline in string"},
		{"'ab\rcd'", 3, "newline in string"},
		{`'''doc'''`, 0, "triple-quoted strings are not supported"},
		{`b'abc'`, 0, "bytes literals are not supported"},
		{`['a' B'c']`, 5, "bytes literals are not supported"},
		{`rb'x'`, 0, "bytes literals are not supported"},
		{`f'{x}'`, 0, "f-strings are not supported"},
		{`r'\d'`, 0, "raw string literals are not supported"},
		{`'\x4'`, 1, `invalid \x escape: need exactly 2 hex digits`},
		{`'\xg0'`, 1, `invalid \x escape: need exactly 2 hex digits`},
		{`"\u12"`, 1, `invalid \u escape: need exactly 4 hex digits`},
		{`'\U0001F60'`, 1, `invalid \U escape: need exactly 8 hex digits`},
		{`'\U00110000'`, 1, `invalid \U escape: code point out of range`},
		{`'\N{DASH}'`, 1, `\N{...} escapes are not supported`},
		{`{'a': 1 'b': 2}`, 8, "expected ',' or '}' after dict value"},
		{`{'FromIP', 'ToIP'}`, 9, "expected ':' after dict key"},
		{`{'AllowUpdate' 1}`, 15, "expected ':' after dict key"},
		{`{1: 'a'}`, 1, "dict keys must be strings, got number"},
		{`{'a': 1, 1.5: 2}`, 9, "dict keys must be strings, got number"},
		{`{None: 1}`, 1, "dict keys must be strings, got None"},
		{`{true: 1}`, 1, "dict keys must be strings, got true"},
		{`{(1, 2): 3}`, 1, "dict keys must be strings, got tuple"},
		{`{([1]): 3}`, 1, "dict keys must be strings, got list"},
		{`{{}: 3}`, 1, "dict keys must be strings, got dict"},
		{`{`, 1, "unterminated dict starting at offset 0"},
		{`{'a'`, 4, "unterminated dict starting at offset 0"},
		{`{'a':`, 5, "unterminated dict starting at offset 0"},
		{`{'a': 1`, 7, "unterminated dict starting at offset 0"},
		{`[1, [2,`, 7, "unterminated list starting at offset 4"},
		{`(1,`, 3, "unterminated tuple starting at offset 0"},
		{`(1`, 2, "unterminated tuple starting at offset 0"},
		{`[1 2]`, 3, "expected ',' or ']' after list element"},
		{`(1 2)`, 3, "expected ',' or ')' after tuple element"},
		{`(1, 2 3)`, 6, "expected ',' or ')' after tuple element"},
		{`[,]`, 1, "unexpected character ','"},
		{`[1,,2]`, 3, "unexpected character ','"},
		{`{,}`, 1, "unexpected character ','"},
		{`(,)`, 1, "unexpected character ','"},
		{`]`, 0, "unexpected character ']'"},
		{`[1}`, 2, "expected ',' or ']' after list element"},
		{`{'a': x}`, 6, `unexpected identifier "x"`},
		{`Nonesuch`, 0, `unexpected identifier "Nonesuch"`},
		{`TRUE`, 0, `unexpected identifier "TRUE"`},
		{strings.Repeat("a", 40), 0, `unexpected identifier "` + strings.Repeat("a", 32) + `"...`},
		{`é`, 0, "unexpected character 'é'"},
		{"\xff", 0, "invalid UTF-8 byte 0xff"},
		{`@`, 0, "unexpected character '@'"},
		{`012`, 0, "leading zeros in decimal integer literals are not permitted"},
		{`-0_1`, 0, "leading zeros in decimal integer literals are not permitted"},
		{`9223372036854775808`, 0, "integer out of int64 range"},
		{`-9223372036854775809`, 0, "integer out of int64 range"},
		{`1e400`, 0, "number out of float64 range"},
		{`-1e400`, 0, "number out of float64 range"},
		{`1__0`, 1, "invalid '_' in number: underscores must separate digits"},
		{`1_`, 1, "invalid '_' in number: underscores must separate digits"},
		{`1._5`, 2, "invalid character '_' in number"},
		{`1.5.`, 3, "invalid character '.' in number"},
		{`12abc`, 2, "invalid character 'a' in number"},
		{`1e`, 2, "missing digits in exponent"},
		{`1e+x`, 3, "missing digits in exponent"},
		{`2j`, 0, "complex numbers are not supported"},
		{`0x1F`, 0, "hexadecimal, octal and binary integers are not supported"},
		{`0o17`, 0, "hexadecimal, octal and binary integers are not supported"},
		{`-`, 1, "expected a digit after '-'"},
		{`- 1`, 1, "expected a digit after '-'"},
		{`+x`, 1, "expected a digit after '+'"},
		{`.`, 0, "unexpected character '.'"},
		{`nan`, 0, "non-finite numbers are not supported"},
		{`inf`, 0, "non-finite numbers are not supported"},
		{`[NaN]`, 1, "non-finite numbers are not supported"},
		{`{'x': -Infinity}`, 6, "non-finite numbers are not supported"},
		{`+inf`, 0, "non-finite numbers are not supported"},
		{strings.Repeat("[", 65) + strings.Repeat("]", 65), 64, "nesting too deep: more than 64 levels"},
		{strings.Repeat("{'a':", 70), 320, "nesting too deep: more than 64 levels"},
		{strings.Repeat("(", 100000), 64, "nesting too deep: more than 64 levels"},
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want error", tt.in, got)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T is not *SyntaxError", tt.in, err)
			}
			want := &SyntaxError{Offset: tt.offset, Msg: tt.msg}
			if diff := cmp.Diff(want, se); diff != "" {
				t.Fatalf("Parse(%q) error mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := Parse(`{'FromIP': 1, 'ToIP' 2}`)
	if got, want := err.Error(), "at offset 21: expected ':' after dict key"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}
