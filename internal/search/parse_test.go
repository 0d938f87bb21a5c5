package search

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// apiKeys is a schema shaped like the API keys' searchable fields.
var apiKeys = Schema{
	Resource: "apiKeys",
	Fields: []Field{
		{Name: "ID", Type: ID},
		{Name: "keyName", Type: String},
		{Name: "description", Type: String, Nullable: true},
		{Name: "roleID", Type: ID},
		{Name: "active", Type: Boolean},
		{Name: "locale", Type: Choice, Choices: []string{"en-US", "ja-JP"}},
		{Name: "created", Type: Date},
		{Name: "expiryDate", Type: Date, Nullable: true},
		{Name: "unsuccessfulSignInAttempts", Type: Number},
	},
}

func ms(v int64) *int64 { return &v }

// one is a filter with the default maxItems and the given criteria.
func one(cs ...Criterion) Filter { return Filter{MaxItems: DefaultMaxItems, Criteria: cs} }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Filter
	}{
		// The filter itself.
		{"empty body", ``, Filter{MaxItems: DefaultMaxItems}},
		{"blank body", " \n\t", Filter{MaxItems: DefaultMaxItems}},
		{"empty object", `{}`, Filter{MaxItems: DefaultMaxItems}},
		{"null body", `null`, Filter{MaxItems: DefaultMaxItems}},
		{"no criteria", `{"maxItems": 10, "sortByObjectID": true, "searchCriteria": []}`,
			Filter{MaxItems: 10, SortByObjectID: true, Criteria: []Criterion{}}},
		{"null criteria", `{"searchCriteria": null}`, Filter{MaxItems: DefaultMaxItems}},
		{"maxItems zero", `{"maxItems": 0}`, Filter{MaxItems: 0}},
		{"maxItems at cap", `{"maxItems": 5000}`, Filter{MaxItems: 5000}},
		{"maxItems over cap", `{"maxItems": 5001}`, Filter{MaxItems: 5000}},
		{"maxItems huge", `{"maxItems": 99999999999999999999999}`, Filter{MaxItems: 5000}},
		{"maxItems huge exponent", `{"maxItems": 1e400}`, Filter{MaxItems: 5000}},
		{"maxItems whole with fraction", `{"maxItems": 25.0}`, Filter{MaxItems: 25}},
		{"maxItems exponent", `{"maxItems": 2e1}`, Filter{MaxItems: 20}},
		{"maxItems null is default", `{"maxItems": null}`, Filter{MaxItems: DefaultMaxItems}},
		{"sortByObjectID null is false", `{"sortByObjectID": null}`, Filter{MaxItems: DefaultMaxItems}},
		{"the spec's example", `{"maxItems": 5000, "sortByObjectID": false, "searchCriteria": [{"fieldName": "keyName", "stringValue": "Auditor", "stringTest": "equal"}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, String: "Auditor", Wildcards: true})},

		// String tests.
		{"string defaults: equal, wildcards", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "a_b%"}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, String: "a_b%", Wildcards: true})},
		{"string not-equal without wildcards", `{"searchCriteria": [{"fieldName": "keyName", "stringTest": "not-equal", "stringValue": "x", "stringWildcards": false}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: NotEqual, String: "x"})},
		{"string wildcards true explicitly", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "stringWildcards": true}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, String: "x", Wildcards: true})},
		{"string empty value", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": ""}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, Wildcards: true})},
		{"string unicode and backslash", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "caf\u00e9\\"}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, String: `café\`, Wildcards: true})},
		{"string null key is unset", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "stringTest": null, "numericValue": null}]}`,
			one(Criterion{Field: "keyName", Type: String, Op: Equal, String: "x", Wildcards: true})},

		// Numeric tests: every operator.
		{"numeric default equal", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericValue": 3}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: Equal, Number: 3})},
		{"numeric less-than", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "less-than", "numericValue": 2.5}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: LessThan, Number: 2.5})},
		{"numeric less-than-or-equal", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "less-than-or-equal", "numericValue": -1}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: LessOrEqual, Number: -1})},
		{"numeric equal", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "equal", "numericValue": 0}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: Equal, Number: 0})},
		{"numeric greater-than-or-equal", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "greater-than-or-equal", "numericValue": 1e3}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: GreaterOrEqual, Number: 1000})},
		{"numeric greater-than", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "greater-than", "numericValue": 7}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: GreaterThan, Number: 7})},
		{"numeric not-equal", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "not-equal", "numericValue": 7}]}`,
			one(Criterion{Field: "unsuccessfulSignInAttempts", Type: Number, Op: NotEqual, Number: 7})},

		// ID tests: every operator, with and without a field.
		{"id without fieldName, default equal", `{"searchCriteria": [{"idValue": 42}]}`,
			one(Criterion{Type: ID, Op: Equal, ID: 42})},
		{"id less-than", `{"searchCriteria": [{"idTest": "less-than", "idValue": 5}]}`,
			one(Criterion{Type: ID, Op: LessThan, ID: 5})},
		{"id less-than-or-equal", `{"searchCriteria": [{"idTest": "less-than-or-equal", "idValue": 5}]}`,
			one(Criterion{Type: ID, Op: LessOrEqual, ID: 5})},
		{"id greater-than-or-equal", `{"searchCriteria": [{"idTest": "greater-than-or-equal", "idValue": 5}]}`,
			one(Criterion{Type: ID, Op: GreaterOrEqual, ID: 5})},
		{"id greater-than paging", `{"sortByObjectID": true, "maxItems": 100, "searchCriteria": [{"idTest": "greater-than", "idValue": 9223372036854775807}]}`,
			Filter{MaxItems: 100, SortByObjectID: true, Criteria: []Criterion{{Type: ID, Op: GreaterThan, ID: 9223372036854775807}}}},
		{"id not-equal on a field", `{"searchCriteria": [{"fieldName": "roleID", "idTest": "not-equal", "idValue": 2}]}`,
			one(Criterion{Field: "roleID", Type: ID, Op: NotEqual, ID: 2})},
		{"id equal on the ID field", `{"searchCriteria": [{"fieldName": "ID", "idTest": "equal", "idValue": -3}]}`,
			one(Criterion{Field: "ID", Type: ID, Op: Equal, ID: -3})},
		{"id whole number with exponent", `{"searchCriteria": [{"idValue": 1e2}]}`,
			one(Criterion{Type: ID, Op: Equal, ID: 100})},

		// Boolean tests.
		{"boolean true", `{"searchCriteria": [{"fieldName": "active", "booleanTest": true}]}`,
			one(Criterion{Field: "active", Type: Boolean, Op: Equal, Bool: true})},
		{"boolean false", `{"searchCriteria": [{"fieldName": "active", "booleanTest": false}]}`,
			one(Criterion{Field: "active", Type: Boolean, Op: Equal, Bool: false})},

		// Choice tests.
		{"choice default equal", `{"searchCriteria": [{"fieldName": "locale", "choiceValue": "ja-JP"}]}`,
			one(Criterion{Field: "locale", Type: Choice, Op: Equal, Choice: "ja-JP"})},
		{"choice not-equal", `{"searchCriteria": [{"fieldName": "locale", "choiceTest": "not-equal", "choiceValue": "en-US"}]}`,
			one(Criterion{Field: "locale", Type: Choice, Op: NotEqual, Choice: "en-US"})},

		// Date tests.
		{"date both bounds, inclusive by default", `{"searchCriteria": [{"fieldName": "created", "firstDateValue": 1000, "lastDateValue": 2000}]}`,
			one(Criterion{Field: "created", Type: Date, First: ms(1000), Last: ms(2000), FirstInclusive: true, LastInclusive: true})},
		{"date exclusive bounds", `{"searchCriteria": [{"fieldName": "created", "firstDateValue": 1000, "firstDateInclusive": false, "lastDateValue": 2000, "lastDateInclusive": false}]}`,
			one(Criterion{Field: "created", Type: Date, First: ms(1000), Last: ms(2000)})},
		{"date open end", `{"searchCriteria": [{"fieldName": "created", "firstDateValue": 1540309893123}]}`,
			one(Criterion{Field: "created", Type: Date, First: ms(1540309893123), FirstInclusive: true, LastInclusive: true})},
		{"date open start, exclusive last", `{"searchCriteria": [{"fieldName": "expiryDate", "lastDateValue": 5, "lastDateInclusive": false}]}`,
			one(Criterion{Field: "expiryDate", Type: Date, Last: ms(5), FirstInclusive: true})},

		// Null tests.
		{"null true", `{"searchCriteria": [{"fieldName": "description", "nullTest": true}]}`,
			one(Criterion{Field: "description", Type: String, NullTest: true, Null: true})},
		{"null false on a date", `{"searchCriteria": [{"fieldName": "expiryDate", "nullTest": false}]}`,
			one(Criterion{Field: "expiryDate", Type: Date, NullTest: true})},

		// Several criteria, in order.
		{"several criteria", `{"maxItems": 3, "searchCriteria": [{"fieldName": "active", "booleanTest": true}, {"idTest": "greater-than", "idValue": 7}, {"fieldName": "keyName", "stringValue": "ci-%"}]}`,
			Filter{MaxItems: 3, Criteria: []Criterion{
				{Field: "active", Type: Boolean, Op: Equal, Bool: true},
				{Type: ID, Op: GreaterThan, ID: 7},
				{Field: "keyName", Type: String, Op: Equal, String: "ci-%", Wildcards: true},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body), apiKeys)
			if err != nil {
				t.Fatalf("Parse(%s): %v", tt.body, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%s) (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string // substrings of the message, in any order
	}{
		// Not a filter at all.
		{"bad JSON", `{"maxItems": }`, []string{"not valid JSON", "at byte"}},
		{"truncated JSON", `{"searchCriteria": [`, []string{"not valid JSON"}},
		{"trailing data", `{} {}`, []string{"not valid JSON"}},
		{"array body", `[]`, []string{"Search filter must be a JSON object, not an array"}},
		{"string body", `"x"`, []string{"must be a JSON object, not a string"}},
		{"unknown filter key", `{"maxitems": 5}`, []string{`Unknown key "maxitems" in search filter`, "maxItems, sortByObjectID, searchCriteria", `did you mean "maxItems"`}},
		{"duplicate filter key", `{"maxItems": 5, "maxItems": 6}`, []string{`Duplicate key "maxItems" in search filter`}},
		{"maxItems negative", `{"maxItems": -1}`, []string{"maxItems must not be negative", "-1"}},
		{"maxItems hugely negative", `{"maxItems": -1e400}`, []string{"maxItems must not be negative"}},
		{"maxItems fractional", `{"maxItems": 2.5}`, []string{"maxItems must be a whole number, not 2.5"}},
		{"maxItems string", `{"maxItems": "10"}`, []string{"maxItems must be a number, not a string"}},
		{"sortByObjectID string", `{"sortByObjectID": "true"}`, []string{"sortByObjectID must be true or false, not a string"}},
		{"searchCriteria object", `{"searchCriteria": {}}`, []string{"searchCriteria must be an array", "not an object"}},
		{"criterion not an object", `{"searchCriteria": [1]}`, []string{"searchCriteria[0] must be a JSON object, not a number"}},
		{"criterion null", `{"searchCriteria": [null]}`, []string{"searchCriteria[0] must be a JSON object, not null"}},

		// Keys of a criterion.
		{"unknown criterion key", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "regex": "y"}]}`,
			[]string{`Unknown key "regex" in searchCriteria[0]`, "fieldName, stringValue"}},
		{"criterion key in the wrong case", `{"searchCriteria": [{"fieldname": "keyName", "stringValue": "x"}]}`,
			[]string{`Unknown key "fieldname"`, `did you mean "fieldName"?`}},
		{"duplicate criterion key", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "stringValue": "y"}]}`,
			[]string{`Duplicate key "stringValue" in searchCriteria[0]`}},
		{"booleanValue", `{"searchCriteria": [{"fieldName": "active", "booleanValue": true}]}`,
			[]string{"booleanValue is not a search criterion key", "searchCriteria[0]", "booleanTest is the value tested"}},
		{"booleanValue with booleanTest", `{"searchCriteria": [{"fieldName": "active", "booleanTest": true, "booleanValue": false}]}`,
			[]string{"booleanValue is not a search criterion key"}},
		{"no test", `{"searchCriteria": [{"fieldName": "keyName"}]}`, []string{"searchCriteria[0] has no test"}},
		{"empty criterion", `{"searchCriteria": [{}]}`, []string{"searchCriteria[0] has no test"}},
		{"only null values", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": null}]}`, []string{"searchCriteria[0] has no test"}},
		{"mixed families", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "numericValue": 1}]}`,
			[]string{"searchCriteria[0] mixes a string test (stringValue) with a numeric test (numericValue)"}},
		{"mixed with null test", `{"searchCriteria": [{"fieldName": "description", "nullTest": true, "stringTest": "equal"}]}`,
			[]string{"mixes a string test (stringTest) with a null test (nullTest)"}},
		{"mixed id and date", `{"searchCriteria": [{"idValue": 1, "lastDateInclusive": true}]}`,
			[]string{"searchCriteria[0] mixes an ID test (idValue) with a date test (lastDateInclusive)"}},

		// The field.
		{"unknown field", `{"searchCriteria": [{"fieldName": "name", "stringValue": "x"}]}`,
			[]string{`Unknown field name "name" for apiKeys in searchCriteria[0]`, "valid field names: ID, keyName, description, roleID, active, locale, created, expiryDate, unsuccessfulSignInAttempts"}},
		{"field name is case-sensitive", `{"searchCriteria": [{"fieldName": "KeyName", "stringValue": "x"}]}`,
			[]string{`Unknown field name "KeyName" for apiKeys`}},
		{"empty field name", `{"searchCriteria": [{"fieldName": "", "stringValue": "x"}]}`,
			[]string{`Unknown field name "" for apiKeys`}},
		{"field name not a string", `{"searchCriteria": [{"fieldName": 3, "stringValue": "x"}]}`,
			[]string{"fieldName in searchCriteria[0] must be a string, not a number"}},
		{"field name required", `{"searchCriteria": [{"stringValue": "x"}]}`,
			[]string{"fieldName is required in searchCriteria[0]", "only ID tests"}},
		{"error names the right criterion", `{"searchCriteria": [{"idValue": 1}, {"idValue": 2}, {"fieldName": "nope", "idValue": 3}]}`,
			[]string{`Unknown field name "nope" for apiKeys in searchCriteria[2]`}},

		// Family against field type.
		{"string test on a number", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "stringTest": "equal", "stringValue": "3"}]}`,
			[]string{"searchCriteria[0] uses a string test (stringValue) on field \"unsuccessfulSignInAttempts\" of apiKeys, which is a numeric field"}},
		{"numeric test on an ID", `{"searchCriteria": [{"fieldName": "roleID", "numericValue": 1}]}`,
			[]string{`numeric test (numericValue) on field "roleID"`, "which is an ID field"}},
		{"id test on a string", `{"searchCriteria": [{"fieldName": "keyName", "idValue": 1}]}`,
			[]string{`ID test (idValue) on field "keyName"`, "string field"}},
		{"boolean test on a choice", `{"searchCriteria": [{"fieldName": "locale", "booleanTest": true}]}`,
			[]string{`boolean test (booleanTest) on field "locale"`, "choice field"}},
		{"choice test on a string", `{"searchCriteria": [{"fieldName": "keyName", "choiceValue": "x"}]}`,
			[]string{`choice test (choiceValue) on field "keyName"`}},
		{"date test on a boolean", `{"searchCriteria": [{"fieldName": "active", "firstDateValue": 1}]}`,
			[]string{`date test (firstDateValue) on field "active"`, "boolean field"}},
		{"null test on a non-nullable field", `{"searchCriteria": [{"fieldName": "keyName", "nullTest": true}]}`,
			[]string{`nullTest in searchCriteria[0] cannot apply to field "keyName" of apiKeys, which is never null`}},
		{"null test without a field", `{"searchCriteria": [{"nullTest": true}]}`,
			[]string{"fieldName is required in searchCriteria[0]"}},

		// Operators.
		{"unknown string op", `{"searchCriteria": [{"fieldName": "keyName", "stringTest": "like", "stringValue": "x"}]}`,
			[]string{`Unknown stringTest "like" in searchCriteria[0]; allowed: equal, not-equal`}},
		{"ordering op on a string", `{"searchCriteria": [{"fieldName": "keyName", "stringTest": "less-than", "stringValue": "x"}]}`,
			[]string{`Unknown stringTest "less-than"`, "allowed: equal, not-equal"}},
		{"vendor doc typo", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "greather-than-or-equal", "numericValue": 1}]}`,
			[]string{`Unknown numericTest "greather-than-or-equal"`, "allowed: less-than, less-than-or-equal, equal, greater-than-or-equal, greater-than, not-equal"}},
		{"unknown id op", `{"searchCriteria": [{"idTest": "gt", "idValue": 1}]}`,
			[]string{`Unknown idTest "gt" in searchCriteria[0]; allowed: less-than`}},
		{"unknown choice op", `{"searchCriteria": [{"fieldName": "locale", "choiceTest": "greater-than", "choiceValue": "en-US"}]}`,
			[]string{`Unknown choiceTest "greater-than"`, "allowed: equal, not-equal"}},
		{"op is case-sensitive", `{"searchCriteria": [{"idTest": "EQUAL", "idValue": 1}]}`,
			[]string{`Unknown idTest "EQUAL"`}},
		{"op not a string", `{"searchCriteria": [{"idTest": 1, "idValue": 1}]}`,
			[]string{"idTest in searchCriteria[0] must be a string, not a number"}},

		// Values.
		{"string value missing", `{"searchCriteria": [{"fieldName": "keyName", "stringTest": "equal"}]}`,
			[]string{"stringValue is required in searchCriteria[0]"}},
		{"string value a number", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": 5}]}`,
			[]string{"stringValue in searchCriteria[0] must be a string, not a number"}},
		{"wildcards a string", `{"searchCriteria": [{"fieldName": "keyName", "stringValue": "x", "stringWildcards": "false"}]}`,
			[]string{"stringWildcards in searchCriteria[0] must be true or false, not a string"}},
		{"numeric value missing", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "equal"}]}`,
			[]string{"numericValue is required in searchCriteria[0]"}},
		{"numeric value a string", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericValue": "3"}]}`,
			[]string{"numericValue in searchCriteria[0] must be a number, not a string"}},
		{"numeric value overflow", `{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericValue": 1e999}]}`,
			[]string{"numericValue in searchCriteria[0] is out of range: 1e999"}},
		{"id value missing", `{"searchCriteria": [{"idTest": "equal"}]}`,
			[]string{"idValue is required in searchCriteria[0]"}},
		{"id value fractional", `{"searchCriteria": [{"idValue": 1.5}]}`,
			[]string{"idValue in searchCriteria[0] must be a whole number, not 1.5"}},
		{"id value overflow", `{"searchCriteria": [{"idValue": 9223372036854775808}]}`,
			[]string{"idValue in searchCriteria[0] is out of range"}},
		{"id value a boolean", `{"searchCriteria": [{"idValue": true}]}`,
			[]string{"idValue in searchCriteria[0] must be a number, not a boolean"}},
		{"booleanTest a string", `{"searchCriteria": [{"fieldName": "active", "booleanTest": "true"}]}`,
			[]string{"booleanTest in searchCriteria[0] must be true or false, not a string"}},
		{"choice value missing", `{"searchCriteria": [{"fieldName": "locale", "choiceTest": "equal"}]}`,
			[]string{"choiceValue is required in searchCriteria[0]"}},
		{"choice not in the list", `{"searchCriteria": [{"fieldName": "locale", "choiceValue": "fr-FR"}]}`,
			[]string{`choiceValue "fr-FR" in searchCriteria[0] is not a choice of field "locale" of apiKeys; choices: en-US, ja-JP`}},
		{"choice is case-sensitive", `{"searchCriteria": [{"fieldName": "locale", "choiceValue": "EN-us"}]}`,
			[]string{`choiceValue "EN-us"`}},
		{"date without values", `{"searchCriteria": [{"fieldName": "created", "firstDateInclusive": true}]}`,
			[]string{`searchCriteria[0] has a date test on field "created" without firstDateValue or lastDateValue`}},
		{"date value a string", `{"searchCriteria": [{"fieldName": "created", "firstDateValue": "2020-01-01"}]}`,
			[]string{"firstDateValue in searchCriteria[0] must be a number, not a string"}},
		{"date value fractional", `{"searchCriteria": [{"fieldName": "created", "lastDateValue": 1.25}]}`,
			[]string{"lastDateValue in searchCriteria[0] must be a whole number"}},
		{"date inclusive a number", `{"searchCriteria": [{"fieldName": "created", "lastDateValue": 1, "lastDateInclusive": 0}]}`,
			[]string{"lastDateInclusive in searchCriteria[0] must be true or false, not a number"}},
		{"nullTest a string", `{"searchCriteria": [{"fieldName": "description", "nullTest": "yes"}]}`,
			[]string{"nullTest in searchCriteria[0] must be true or false, not a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.body), apiKeys)
			if err == nil {
				t.Fatalf("Parse(%s) = %+v, want an error", tt.body, got)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%s) error %T %v, want *Error", tt.body, err, err)
			}
			if e.Error() != e.Message {
				t.Errorf("Error() = %q, Message = %q", e.Error(), e.Message)
			}
			for _, w := range tt.want {
				if !strings.Contains(e.Message, w) {
					t.Errorf("Parse(%s) error\n  %q\nlacks %q", tt.body, e.Message, w)
				}
			}
			if !cmp.Equal(got, Filter{}) {
				t.Errorf("Parse(%s) returned %+v with its error, want the zero Filter", tt.body, got)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	ops := map[Op]string{Equal: "equal", NotEqual: "not-equal", LessThan: "less-than", LessOrEqual: "less-than-or-equal",
		GreaterOrEqual: "greater-than-or-equal", GreaterThan: "greater-than", 0: "none"}
	for op, want := range ops {
		if got := op.String(); got != want {
			t.Errorf("Op(%d).String() = %q, want %q", int(op), got, want)
		}
	}
	types := map[FieldType]string{String: "string", Number: "numeric", ID: "ID", Boolean: "boolean", Choice: "choice", Date: "date", 0: "unknown"}
	for ft, want := range types {
		if got := ft.String(); got != want {
			t.Errorf("FieldType(%d).String() = %q, want %q", int(ft), got, want)
		}
	}
}

// TestParseLargeBodies checks that big bodies cost time in proportion to
// their size: many keys in one object, many criteria.
func TestParseLargeBodies(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"searchCriteria": [{"idValue": 1`)
	for i := range 100000 {
		fmt.Fprintf(&b, `, "k%d": null`, i)
	}
	b.WriteString(`}]}`)
	if _, err := Parse([]byte(b.String()), apiKeys); err == nil || !strings.Contains(err.Error(), `Unknown key "k0"`) {
		t.Errorf("many keys: %v", err)
	}

	b.Reset()
	b.WriteString(`{"searchCriteria": [`)
	for i := range 20000 {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, `{"idTest": "not-equal", "idValue": %d}`, i)
	}
	b.WriteString(`]}`)
	f, err := Parse([]byte(b.String()), apiKeys)
	if err != nil || len(f.Criteria) != 20000 {
		t.Errorf("many criteria: %d criteria, %v", len(f.Criteria), err)
	}
}

// TestParsePaging: only a Paged schema takes limit and cursor, with
// strict values; other schemas refuse them as unknown keys.
func TestParsePaging(t *testing.T) {
	paged := apiKeys
	paged.Paged = true
	for _, c := range []struct {
		body          string
		limit         int
		cursor, error string
	}{
		{body: `{"limit":25,"cursor":"40"}`, limit: 25, cursor: "40"},
		{body: `{"limit":null,"cursor":null}`},
		{body: `{"limit":5000}`, limit: 5000},
		{body: `{"limit":0}`, error: "limit must be from 1 to 5000, not 0"},
		{body: `{"limit":5001}`, error: "limit must be from 1 to 5000, not 5001"},
		{body: `{"limit":2.5}`, error: "limit must be a whole number, not 2.5"},
		{body: `{"limit":"3"}`, error: "limit must be a number"},
		{body: `{"cursor":7}`, error: "cursor must be a string"},
		{body: `{"size":7}`, error: "limit, cursor"},
	} {
		f, err := Parse([]byte(c.body), paged)
		switch {
		case c.error != "":
			if err == nil || !strings.Contains(err.Error(), c.error) {
				t.Errorf("%s: error %v, want one containing %q", c.body, err, c.error)
			}
		case err != nil:
			t.Errorf("%s: %v", c.body, err)
		case f.Limit != c.limit || f.Cursor != c.cursor:
			t.Errorf("%s: limit %d cursor %q, want %d %q", c.body, f.Limit, f.Cursor, c.limit, c.cursor)
		}
	}
	for _, body := range []string{`{"limit":10}`, `{"cursor":"1"}`} {
		if _, err := Parse([]byte(body), apiKeys); err == nil || !strings.Contains(err.Error(), "maxItems, sortByObjectID, searchCriteria") {
			t.Errorf("%s on an unpaged schema: error %v, want an unknown key", body, err)
		}
	}
}
