package search

// Filter is the body of the search calls: every criterion must match
// (AND); no criteria match everything, up to MaxItems.
type Filter struct {
	// MaxItems is how many items to return at most; omitted when 0 (the
	// server's default, 5000).
	MaxItems int `json:"maxItems,omitempty"`
	// SortByObjectID sorts by ID, for paging with IDTest(GreaterThan, last).
	SortByObjectID bool       `json:"sortByObjectID,omitempty"`
	SearchCriteria []Criteria `json:"searchCriteria,omitempty"`
}

// Criteria is one test on one field (the vendor's SearchCriteria). Set the
// fields of one test family only (string, numeric, ID, boolean, choice,
// date or null); unset fields are not sent. The helpers below build the
// common ones.
type Criteria struct {
	// FieldName is case-sensitive; required except for ID tests.
	FieldName string `json:"fieldName,omitempty"`

	// StringTest is "equal" (the server's default) or "not-equal";
	// StringWildcards (default true) makes % match any run and _ one
	// character.
	StringTest      string  `json:"stringTest,omitempty"`
	StringValue     *string `json:"stringValue,omitempty"`
	StringWildcards *bool   `json:"stringWildcards,omitempty"`

	// NumericTest and IDTest are one of "less-than", "less-than-or-equal",
	// "equal", "greater-than-or-equal", "greater-than", "not-equal".
	NumericTest  string   `json:"numericTest,omitempty"`
	NumericValue *float64 `json:"numericValue,omitempty"`
	IDTest       string   `json:"idTest,omitempty"`
	IDValue      *int64   `json:"idValue,omitempty"`

	// BooleanTest IS the value tested (there is no booleanValue).
	BooleanTest *bool `json:"booleanTest,omitempty"`

	// ChoiceTest is "equal" or "not-equal".
	ChoiceTest  string  `json:"choiceTest,omitempty"`
	ChoiceValue *string `json:"choiceValue,omitempty"`

	// FirstDateValue and LastDateValue bound a date test (Unix ms); the
	// inclusive flags default to true.
	FirstDateValue     *int64 `json:"firstDateValue,omitempty"`
	LastDateValue      *int64 `json:"lastDateValue,omitempty"`
	FirstDateInclusive *bool  `json:"firstDateInclusive,omitempty"`
	LastDateInclusive  *bool  `json:"lastDateInclusive,omitempty"`

	// NullTest true matches an unset field, false a set one.
	NullTest *bool `json:"nullTest,omitempty"`
}

// The operators of numeric and ID tests.
const (
	LessThan           = "less-than"
	LessThanOrEqual    = "less-than-or-equal"
	Equal              = "equal"
	GreaterThanOrEqual = "greater-than-or-equal"
	GreaterThan        = "greater-than"
	NotEqual           = "not-equal"
)

func ptr[T any](v T) *T { return &v }

// StringEquals tests field equal to value (wildcards on, as the server's
// default).
func StringEquals(field, value string) Criteria {
	return Criteria{FieldName: field, StringTest: Equal, StringValue: ptr(value)}
}

// NoWildcards returns c with % and _ matching only themselves.
func (c Criteria) NoWildcards() Criteria {
	c.StringWildcards = ptr(false)
	return c
}

// NumberTest tests a numeric field with op.
func NumberTest(field, op string, value float64) Criteria {
	return Criteria{FieldName: field, NumericTest: op, NumericValue: ptr(value)}
}

// IDTest tests the object's ID with op (the paging test).
func IDTest(op string, id int64) Criteria {
	return Criteria{IDTest: op, IDValue: ptr(id)}
}

// BoolIs tests a boolean field for value.
func BoolIs(field string, value bool) Criteria {
	return Criteria{FieldName: field, BooleanTest: ptr(value)}
}

// ChoiceEquals tests a choice field equal to value.
func ChoiceEquals(field, value string) Criteria {
	return Criteria{FieldName: field, ChoiceTest: Equal, ChoiceValue: ptr(value)}
}

// DateBetween tests a date field between first and last (Unix ms, both
// inclusive); a nil bound leaves that end open.
func DateBetween(field string, first, last *int64) Criteria {
	return Criteria{FieldName: field, FirstDateValue: first, LastDateValue: last}
}

// IsNull tests whether field is unset (true) or set (false).
func IsNull(field string, null bool) Criteria {
	return Criteria{FieldName: field, NullTest: ptr(null)}
}
