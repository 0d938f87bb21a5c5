package search

import (
	"errors"
	"slices"
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts is a valid
// Filter for the schema, and that what it refuses it refuses with an *Error
// that says something.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		``,
		`{}`,
		`{"maxItems": 10, "sortByObjectID": true, "searchCriteria": [{"idTest": "greater-than", "idValue": 5}]}`,
		`{"searchCriteria": [{"fieldName": "keyName", "stringValue": "a_b%", "stringWildcards": false, "stringTest": "not-equal"}]}`,
		`{"searchCriteria": [{"fieldName": "unsuccessfulSignInAttempts", "numericTest": "less-than-or-equal", "numericValue": 2.5}]}`,
		`{"searchCriteria": [{"fieldName": "active", "booleanTest": false}, {"fieldName": "locale", "choiceValue": "ja-JP"}]}`,
		`{"searchCriteria": [{"fieldName": "created", "firstDateValue": 1, "lastDateValue": 2, "lastDateInclusive": false}]}`,
		`{"searchCriteria": [{"fieldName": "description", "nullTest": true}]}`,
		`{"searchCriteria": [{"fieldName": "keyName", "booleanValue": true}]}`,
		`{"maxItems": -1e400, "searchCriteria": [{"idValue": 1.5}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := Parse(body, apiKeys)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Message == "" {
				t.Fatalf("Parse(%q) error %T %q, want an *Error with a message", body, err, err)
			}
			return
		}
		if got.MaxItems < 0 || got.MaxItems > DefaultMaxItems {
			t.Fatalf("Parse(%q).MaxItems = %d, out of 0..%d", body, got.MaxItems, DefaultMaxItems)
		}
		for i, c := range got.Criteria {
			if msg := invalid(c); msg != "" {
				t.Fatalf("Parse(%q) criterion %d %+v: %s", body, i, c, msg)
			}
		}
	})
}

// invalid says what is wrong with a parsed criterion, or "".
func invalid(c Criterion) string {
	var field Field
	if c.Field == "" {
		if c.Type != ID || c.NullTest {
			return "no field, yet not an ID test"
		}
	} else {
		var ok bool
		if field, ok = apiKeys.Field(c.Field); !ok {
			return "unknown field"
		}
		if field.Type != c.Type {
			return "type differs from the field's"
		}
	}
	if c.NullTest {
		if !field.Nullable {
			return "null test on a field that is never null"
		}
		if c.Op != 0 {
			return "null test with an operator"
		}
		return ""
	}
	switch c.Type {
	case String, Choice:
		if c.Op != Equal && c.Op != NotEqual {
			return "operator not equal or not-equal"
		}
		if c.Type == Choice && !slices.Contains(field.Choices, c.Choice) {
			return "choice not in the field's choices"
		}
	case Number, ID:
		if c.Op < Equal || c.Op > GreaterThan {
			return "unknown operator"
		}
	case Boolean:
		if c.Op != Equal {
			return "boolean test not equal"
		}
	case Date:
		if c.Op != 0 {
			return "date test with an operator"
		}
		if c.First == nil && c.Last == nil {
			return "date test without bounds"
		}
	default:
		return "unknown type"
	}
	return ""
}
