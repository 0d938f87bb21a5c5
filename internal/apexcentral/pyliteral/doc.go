// Package pyliteral parses the subset of Python literal syntax that Python's
// repr() produces for JSON-like data, together with plain JSON, into Go
// values.
//
// The Apex Central Automation API carries one object as a string field,
// setting_data_JSON_string. Trend Micro's own tutorial fills that field with
// Python's str(dict), so real clients send Python literals such as
// {'OUSList': [{'OUSSettingType': 'IPv4'}], 'AllowUpdateFromOtherAU': 1},
// while other clients send real JSON. This package owns reading both forms
// and nothing else: it accepts dicts, lists, tuples, strings (single or
// double quoted, with Python and JSON escapes), integers, floats,
// True/False/None and true/false/null, and it rejects everything else with a
// *SyntaxError that names the byte offset and the reason in words fit to be
// returned to an API client verbatim.
//
// The parser is a single left-to-right pass, so its cost is linear in the
// input; nesting is limited to 64 levels so that hostile input cannot
// exhaust the stack, and no input makes it panic. The caller is expected to
// limit the input size. The package imports only the standard library.
package pyliteral
