package pyliteral

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pythonCases is a Python program that prints, as JSON, a list of
// [repr(x), json.dumps(x)] pairs for structures chosen to exercise every
// choice repr makes: quote selection, escaping of backslashes, quotes and
// control characters, \x, \u and \U escapes for non-printable characters,
// tuples, and the float formats.
const pythonCases = `
import json

deep = 'leaf'
for i in range(30):
    deep = [deep] if i % 2 else {'k%d' % i: deep}

cases = [
    {'AllowUpdateFromOtherAU': 1, 'UpdateComponentFromServerIfOUSFailed': 1,
     'OUSList': [{'OUSSettingType': 'IPv4', 'OUSSettingJSONString': json.dumps(
         {'FromIP': '10.1.1.2', 'ToIP': '100.1.1.10', 'OUS': 'http://10.1.1.1:21112/activeupdate'})}]},
    "it's",
    'say "hi"',
    'both \' and "',
    'back\\slash \\n is not a newline',
    'ctrl \t\n\r\x0b\x0c\x00\x1f\x7f\x80\x9f\x1b[0m',
    'unicode é ñ 中文 \u00a0 \u200b \u2028 \u2029 \ufeff \u3000 \x85',
    '😀 \U0001F9D1\u200d\U0001F4BB \U000e0001 \U0010ffff',
    ['\ud800', '\udfff', 'a\ud83d'],
    {'t': True, 'f': False, 'n': None},
    {'ints': [0, -1, 2**63 - 1, -2**63, 1_000_000],
     'floats': [0.1, -0.0, 1.5e-10, 1e100, 1e20, 1e16, 123456789.125, 5e-324, 1.7976931348623157e308]},
    {'tuple': (1, (2, 3), ()), 'single': ('x',)},
    deep,
    {'': '', ' ': ' ', 'key with spaces': 'value'},
    {"k'ey": 'v"al', 'k"ey': "v'al"},
    ['\\\'', '\\"', '\'\\', 'a\\', '\\', '\\\\'],
    {'k%d' % i: i * 1.5 for i in range(50)},
    json.dumps({'path': 'C:\\AU\\"x"', 'tab': '\t', 'emoji': '😀'}),
    [1, 'two', 3.0, None, [True], {'x': (False,)}],
    {'AllowUpdateFromOtherAU': 0, 'OUSList': []},
    '\x00' * 3 + '\\x00',
]
print(json.dumps([[repr(c), json.dumps(c)] for c in cases]))
`

// findPython returns the Python 3 interpreter to cross-check against. On CI
// a missing interpreter fails the test, so that the check cannot silently
// stop running; elsewhere it skips.
func findPython(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/python3"); err == nil {
		return "/usr/bin/python3"
	}
	if path, err := exec.LookPath("python3"); err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("python3 not found; it is required on CI to cross-check Parse against real repr() output")
	}
	t.Skip("python3 not found")
	return ""
}

// TestParseAgainstPython checks that Parse reads what Python's repr() writes
// exactly as encoding/json reads what Python's json.dumps() writes for the
// same structure.
func TestParseAgainstPython(t *testing.T) {
	python := findPython(t)
	out, err := exec.Command(python, "-c", pythonCases).Output()
	if err != nil {
		t.Fatalf("running %s: %v", python, err)
	}
	var pairs [][2]string
	if err := json.Unmarshal(out, &pairs); err != nil {
		t.Fatalf("decoding python output: %v", err)
	}
	if len(pairs) < 20 {
		t.Fatalf("python printed %d cases, want at least 20", len(pairs))
	}
	for _, pair := range pairs {
		repr, dumped := pair[0], pair[1]
		got, err := Parse(repr)
		if err != nil {
			t.Errorf("Parse(%s): %v", repr, err)
			continue
		}
		var want any
		if err := json.Unmarshal([]byte(dumped), &want); err != nil {
			t.Errorf("json.Unmarshal(%s): %v", dumped, err)
			continue
		}
		if diff := cmp.Diff(normalizeNumbers(want), normalizeNumbers(got)); diff != "" {
			t.Errorf("Parse(%s) disagrees with json.dumps %s (-json +parse):\n%s", repr, dumped, diff)
		}
	}
}

// normalizeNumbers returns v with every int64 turned into float64, the only
// number type encoding/json produces, so that the two decoders' results can
// be compared.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = normalizeNumbers(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = normalizeNumbers(e)
		}
		return out
	}
	return v
}
