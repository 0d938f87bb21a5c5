// Package search owns the Deep Security SearchFilter: its model (a Filter
// of ANDed Criteria, each one test on one field), its parsing from the wire
// JSON, and its validation against a Schema, the searchable fields of one
// resource. The store compiles a parsed Filter to SQL; nothing here knows
// about SQL or HTTP.
//
// It imports only the standard library.
package search

import "strings"

// DefaultMaxItems is the number of items a search returns when the filter
// does not say (maxItems absent), and the most it ever returns: the vendor
// caps maxItems at 5000.
const DefaultMaxItems = 5000

// FieldType is the type of a searchable field, which decides the test
// family a criterion may use on it.
type FieldType int

// The field types. The zero FieldType is not a type, so that a Field
// declared without one is caught.
const (
	String  FieldType = iota + 1 // stringTest, stringValue, stringWildcards
	Number                       // numericTest, numericValue
	ID                           // idTest, idValue
	Boolean                      // booleanTest
	Choice                       // choiceTest, choiceValue
	Date                         // firstDateValue, lastDateValue and their inclusive flags
)

// String returns the name used for the type in messages.
func (t FieldType) String() string {
	switch t {
	case String:
		return "string"
	case Number:
		return "numeric"
	case ID:
		return "ID"
	case Boolean:
		return "boolean"
	case Choice:
		return "choice"
	case Date:
		return "date"
	}
	return "unknown"
}

// Field is one searchable field of a resource.
type Field struct {
	// Name is the wire name, matched case-sensitively (e.g. "keyName").
	Name string
	Type FieldType
	// Choices are the valid values of a Choice field, matched exactly.
	Choices []string
	// Nullable says the field may be unset. Only nullable fields accept a
	// nullTest: on any other field the test would be constant.
	Nullable bool
}

// Schema is the set of searchable fields of one resource.
type Schema struct {
	// Resource names the resource in messages, as the wire does (e.g.
	// "apiKeys").
	Resource string
	Fields   []Field
	// Paged lets a filter carry `limit` (a page size, 1 to
	// DefaultMaxItems) and `cursor` (an opaque string the previous page
	// handed out), as Network Security's appliance search does. Workload
	// Security's filters have neither and refuse them.
	Paged bool
}

// Field returns the field called name, matched case-sensitively.
func (s Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

func (s Schema) fieldNames() string {
	names := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// Filter is a parsed and validated SearchFilter.
type Filter struct {
	// MaxItems is how many items to return at most, 0 to DefaultMaxItems.
	MaxItems int
	// SortByObjectID is what the client asked for. The store always sorts
	// by ID, so that paging is stable either way.
	SortByObjectID bool
	// Criteria are ANDed; none matches everything.
	Criteria []Criterion
	// Limit is the page size a paged filter asked for, 0 if none; Cursor
	// is where the page starts, "" for the first. Only a Paged schema
	// accepts them.
	Limit  int
	Cursor string
}

// Op is the operator of a string, numeric, ID, boolean or choice test.
// Date and null tests have none (the zero Op).
type Op int

// The operators. Boolean tests always use Equal (with Bool the value).
const (
	Equal Op = iota + 1
	NotEqual
	LessThan
	LessOrEqual
	GreaterOrEqual
	GreaterThan
)

// String returns the operator's wire name, e.g. "greater-than-or-equal".
func (o Op) String() string {
	switch o {
	case Equal:
		return "equal"
	case NotEqual:
		return "not-equal"
	case LessThan:
		return "less-than"
	case LessOrEqual:
		return "less-than-or-equal"
	case GreaterOrEqual:
		return "greater-than-or-equal"
	case GreaterThan:
		return "greater-than"
	}
	return "none"
}

// Criterion is one test of a Filter. Type says which value fields are
// meaningful, unless NullTest is set.
type Criterion struct {
	// Field is the schema field's name; "" only for an ID test on the
	// object's own ID.
	Field string
	// Type is the field's type, which is also the test family (the two must
	// match), or ID for an ID test without a field.
	Type FieldType
	// Op is the operator: Equal or NotEqual for String and Choice, any of
	// the six for Number and ID, Equal for Boolean, zero for Date and for
	// null tests.
	Op Op

	// String and Wildcards are a string test's value and whether % and _
	// in it are wildcards (default true).
	String    string
	Wildcards bool
	// Number is a numeric test's value.
	Number float64
	// ID is an ID test's value.
	ID int64
	// Bool is the value a boolean test matches (default true).
	Bool bool
	// Choice is a choice test's value, one of the field's Choices.
	Choice string
	// First and Last bound a date test, in Unix milliseconds; nil leaves
	// that end open. At least one is set.
	First, Last *int64
	// FirstInclusive and LastInclusive say whether the bounds match
	// (default true).
	FirstInclusive, LastInclusive bool

	// NullTest marks a null test (nullTest), whatever the field's type;
	// then Null says what it matches: true the unset field (IS NULL),
	// false a set one.
	NullTest bool
	Null     bool
}

// Error is a search filter the client got wrong. Message says what and
// where, in words fit for the client (it names the key, the criterion as
// searchCriteria[i], and the field at fault).
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }
