package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Parse decodes a SearchFilter from its wire JSON and validates it against
// schema. An empty body (or null, or {}) is a filter with no criteria and
// the default maxItems.
//
// Parse is strict: unknown or duplicate keys, values of the wrong JSON type,
// unknown field names and operators, a test family that does not match the
// field's type, and criteria that mix families are all errors. A key whose
// value is null counts as absent, as generated SDKs send unset properties.
// A maxItems above DefaultMaxItems is cut to it, as the vendor does; an
// explicit 0 asks for no items. Every error is an *Error.
func Parse(body []byte, schema Schema) (Filter, error) {
	f := Filter{MaxItems: DefaultMaxItems}
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return f, nil
	}
	var raw json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Filter{}, errorf("Search filter is not valid JSON: %s", jsonProblem(err))
	}
	if kindOf(raw) == "null" {
		return f, nil
	}
	members, err := objectMembers(raw, "Search filter", "search filter")
	if err != nil {
		return Filter{}, err
	}
	for _, m := range members {
		if kindOf(m.raw) == "null" && (slices.Contains(filterKeys, m.key) || schema.Paged && slices.Contains(pageKeys, m.key)) {
			continue // null means unset
		}
		switch m.key {
		case "maxItems":
			n, err := maxItems(m.raw)
			if err != nil {
				return Filter{}, err
			}
			f.MaxItems = n
		case "sortByObjectID":
			b, err := boolValue(m.raw, "sortByObjectID")
			if err != nil {
				return Filter{}, err
			}
			f.SortByObjectID = b
		case "searchCriteria":
			cs, err := criteria(m.raw, schema)
			if err != nil {
				return Filter{}, err
			}
			f.Criteria = cs
		case "limit", "cursor":
			if !schema.Paged {
				return Filter{}, unknownKey(m.key, "search filter", filterKeys)
			}
			if err := pageKey(&f, m); err != nil {
				return Filter{}, err
			}
		default:
			if schema.Paged {
				return Filter{}, unknownKey(m.key, "search filter", append(slices.Clip(filterKeys), pageKeys...))
			}
			return Filter{}, unknownKey(m.key, "search filter", filterKeys)
		}
	}
	return f, nil
}

var (
	filterKeys = []string{"maxItems", "sortByObjectID", "searchCriteria"}
	pageKeys   = []string{"limit", "cursor"}
)

// pageKey sets a paged filter's limit or cursor from m.
func pageKey(f *Filter, m member) error {
	if m.key == "cursor" {
		s, err := stringValue(m.raw, "cursor")
		f.Cursor = s
		return err
	}
	n, err := intValue(m.raw, "limit")
	if err != nil {
		return err
	}
	if n < 1 || n > DefaultMaxItems {
		return errorf("limit must be from 1 to %d, not %d", DefaultMaxItems, n)
	}
	f.Limit = int(n)
	return nil
}

func errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// jsonProblem turns a decoding error into words for the client, with the
// byte offset of a syntax error.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%s (at byte %d)", syn.Error(), syn.Offset)
	}
	return err.Error()
}

func unknownKey(key, where string, valid []string) *Error {
	msg := fmt.Sprintf("Unknown key %q in %s; valid keys: %s", key, where, strings.Join(valid, ", "))
	for _, v := range valid {
		if strings.EqualFold(v, key) {
			msg += fmt.Sprintf(" (did you mean %q? keys are case-sensitive)", v)
			break
		}
	}
	return &Error{Message: msg}
}

// article puts "a" or "an" before a type's name.
func article(name string) string {
	if name == "ID" || strings.ContainsAny(name[:1], "aeiou") {
		return "an " + name
	}
	return "a " + name
}

// member is one key and its raw value, in the order the client sent them.
type member struct {
	key string
	raw json.RawMessage
}

// objectMembers splits the JSON object raw (already known to be valid JSON)
// into its members, refusing anything but an object and duplicate keys.
// what starts the sentence for a non-object; where names the place after
// "in".
func objectMembers(raw json.RawMessage, what, where string) ([]member, error) {
	if k := kindOf(raw); k != "an object" {
		return nil, errorf("%s must be a JSON object, not %s", what, k)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return nil, errorf("%s is not valid JSON: %s", what, jsonProblem(err))
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errorf("%s is not valid JSON: %s", what, jsonProblem(err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errorf("%s is not valid JSON: a key is not a string", what)
		}
		if seen[key] {
			return nil, errorf("Duplicate key %q in %s", key, where)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errorf("%s is not valid JSON: %s", what, jsonProblem(err))
		}
		members = append(members, member{key: key, raw: v})
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return nil, errorf("%s is not valid JSON: %s", what, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errorf("%s is not valid JSON: data after the object", what)
	}
	return members, nil
}

// kindOf names the JSON type of raw for messages: "a string", "a number",
// "a boolean", "an object", "an array" or "null".
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func stringValue(raw json.RawMessage, name string) (string, error) {
	var s string
	if kindOf(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		return "", errorf("%s must be a string, not %s", name, kindOf(raw))
	}
	return s, nil
}

func boolValue(raw json.RawMessage, name string) (bool, error) {
	var b bool
	if kindOf(raw) != "a boolean" || json.Unmarshal(raw, &b) != nil {
		return false, errorf("%s must be true or false, not %s", name, kindOf(raw))
	}
	return b, nil
}

// numberText returns the literal of a JSON number.
func numberText(raw json.RawMessage, name string) (string, error) {
	if kindOf(raw) != "a number" {
		return "", errorf("%s must be a number, not %s", name, kindOf(raw))
	}
	return string(bytes.TrimSpace(raw)), nil
}

func floatValue(raw json.RawMessage, name string) (float64, error) {
	s, err := numberText(raw, name)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, errorf("%s is out of range: %s", name, s)
	}
	return v, nil
}

// errNotWhole and errRange tell intValue's callers why a number is no
// int64.
var (
	errNotWhole = errors.New("not a whole number")
	errRange    = errors.New("out of range")
)

// parseInt reads a JSON number literal as an int64. Whole numbers written
// with a fraction or an exponent (5.0, 5e3) are accepted. On errRange, neg
// says which way it overflowed.
func parseInt(s string) (v int64, neg bool, err error) {
	neg = strings.HasPrefix(s, "-")
	v, err = strconv.ParseInt(s, 10, 64)
	if err == nil {
		return v, neg, nil
	}
	if errors.Is(err, strconv.ErrRange) {
		return 0, neg, errRange
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, neg, errRange
	}
	if f != math.Trunc(f) {
		return 0, neg, errNotWhole
	}
	if f >= 1<<63 || f < -(1<<63) {
		return 0, neg, errRange
	}
	return int64(f), neg, nil
}

func intValue(raw json.RawMessage, name string) (int64, error) {
	s, err := numberText(raw, name)
	if err != nil {
		return 0, err
	}
	v, _, err := parseInt(s)
	switch err {
	case errNotWhole:
		return 0, errorf("%s must be a whole number, not %s", name, s)
	case errRange:
		return 0, errorf("%s is out of range: %s", name, s)
	}
	return v, nil
}

func maxItems(raw json.RawMessage) (int, error) {
	s, err := numberText(raw, "maxItems")
	if err != nil {
		return 0, err
	}
	v, neg, err := parseInt(s)
	switch {
	case err == errNotWhole:
		return 0, errorf("maxItems must be a whole number, not %s", s)
	case neg && (err != nil || v < 0):
		return 0, errorf("maxItems must not be negative, not %s", s)
	case err != nil || v > DefaultMaxItems:
		return DefaultMaxItems, nil
	}
	return int(v), nil
}

func criteria(raw json.RawMessage, schema Schema) ([]Criterion, error) {
	switch kindOf(raw) {
	case "null":
		return nil, nil
	case "an array":
	default:
		return nil, errorf("searchCriteria must be an array of search criteria, not %s", kindOf(raw))
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errorf("searchCriteria is not valid JSON: %s", jsonProblem(err))
	}
	cs := make([]Criterion, 0, len(items))
	for i, item := range items {
		c, err := criterion(item, fmt.Sprintf("searchCriteria[%d]", i), schema)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// family is one kind of test, with the keys that belong to it in the order
// messages list them. Its first key is the one that names it.
type family struct {
	name string
	keys []string
	// field is the field type the family applies to; 0 for the null test,
	// which applies to any nullable field.
	field FieldType
}

var families = []family{
	{"string", []string{"stringValue", "stringTest", "stringWildcards"}, String},
	{"numeric", []string{"numericValue", "numericTest"}, Number},
	{"ID", []string{"idValue", "idTest"}, ID},
	{"boolean", []string{"booleanTest"}, Boolean},
	{"choice", []string{"choiceValue", "choiceTest"}, Choice},
	{"date", []string{"firstDateValue", "lastDateValue", "firstDateInclusive", "lastDateInclusive"}, Date},
	{"null", []string{"nullTest"}, 0},
}

// criterionKeys lists every key a criterion may have, for messages.
var criterionKeys = func() []string {
	keys := []string{"fieldName"}
	for _, fam := range families {
		keys = append(keys, fam.keys...)
	}
	return keys
}()

var (
	equalityOps = []Op{Equal, NotEqual}
	orderOps    = []Op{LessThan, LessOrEqual, Equal, GreaterOrEqual, GreaterThan, NotEqual}
)

// criterion parses and validates one element of searchCriteria; at is its
// place, e.g. "searchCriteria[2]".
func criterion(raw json.RawMessage, at string, schema Schema) (Criterion, error) {
	members, err := objectMembers(raw, at, at)
	if err != nil {
		return Criterion{}, err
	}
	values := map[string]json.RawMessage{}
	for _, m := range members {
		if m.key == "booleanValue" {
			return Criterion{}, errorf(`booleanValue is not a search criterion key (in %s): booleanTest is the value tested, e.g. "booleanTest": false`, at)
		}
		if !slices.Contains(criterionKeys, m.key) {
			return Criterion{}, unknownKey(m.key, at, criterionKeys)
		}
		if kindOf(m.raw) != "null" { // null means unset
			values[m.key] = m.raw
		}
	}

	// Exactly one test family.
	var fam *family
	var famKey string
	for i := range families {
		for _, k := range families[i].keys {
			if _, ok := values[k]; !ok {
				continue
			}
			if fam != nil && fam != &families[i] {
				return Criterion{}, errorf("%s mixes %s test (%s) with %s test (%s); use one test per criterion",
					at, article(fam.name), famKey, article(families[i].name), k)
			}
			if fam == nil {
				fam, famKey = &families[i], k
			}
		}
	}
	if fam == nil {
		return Criterion{}, errorf("%s has no test; give one of stringValue, numericValue, idValue, booleanTest, choiceValue, firstDateValue or lastDateValue, nullTest", at)
	}

	// The field, and that the family fits it.
	c := Criterion{Type: fam.field}
	var field Field
	if raw, ok := values["fieldName"]; ok {
		name, err := stringValue(raw, "fieldName in "+at)
		if err != nil {
			return Criterion{}, err
		}
		f, ok := schema.Field(name)
		if !ok {
			return Criterion{}, errorf("Unknown field name %q for %s in %s; valid field names: %s",
				name, schema.Resource, at, schema.fieldNames())
		}
		field, c.Field, c.Type = f, f.Name, f.Type
	} else if fam.field != ID {
		return Criterion{}, errorf("fieldName is required in %s (only ID tests may omit it)", at)
	}
	switch {
	case fam.field == 0:
		if !field.Nullable {
			return Criterion{}, errorf("nullTest in %s cannot apply to field %q of %s, which is never null",
				at, field.Name, schema.Resource)
		}
	case fam.field != c.Type:
		return Criterion{}, errorf("%s uses %s test (%s) on field %q of %s, which is %s field",
			at, article(fam.name), famKey, field.Name, schema.Resource, article(c.Type.String()))
	}

	// The family's values.
	in := func(key string) string { return key + " in " + at }
	var (
		val     json.RawMessage
		present bool
	)
	get := func(key string) bool { val, present = values[key]; return present }
	switch fam.name {
	case "string":
		if c.Op, err = op(values, "stringTest", at, equalityOps); err != nil {
			return Criterion{}, err
		}
		if !get("stringValue") {
			return Criterion{}, errorf("stringValue is required in %s for a string test", at)
		}
		if c.String, err = stringValue(val, in("stringValue")); err != nil {
			return Criterion{}, err
		}
		c.Wildcards = true
		if get("stringWildcards") {
			if c.Wildcards, err = boolValue(val, in("stringWildcards")); err != nil {
				return Criterion{}, err
			}
		}
	case "numeric":
		if c.Op, err = op(values, "numericTest", at, orderOps); err != nil {
			return Criterion{}, err
		}
		if !get("numericValue") {
			return Criterion{}, errorf("numericValue is required in %s for a numeric test", at)
		}
		if c.Number, err = floatValue(val, in("numericValue")); err != nil {
			return Criterion{}, err
		}
	case "ID":
		if c.Op, err = op(values, "idTest", at, orderOps); err != nil {
			return Criterion{}, err
		}
		if !get("idValue") {
			return Criterion{}, errorf("idValue is required in %s for an ID test", at)
		}
		if c.ID, err = intValue(val, in("idValue")); err != nil {
			return Criterion{}, err
		}
	case "boolean":
		c.Op = Equal
		get("booleanTest")
		if c.Bool, err = boolValue(val, in("booleanTest")); err != nil {
			return Criterion{}, err
		}
	case "choice":
		if c.Op, err = op(values, "choiceTest", at, equalityOps); err != nil {
			return Criterion{}, err
		}
		if !get("choiceValue") {
			return Criterion{}, errorf("choiceValue is required in %s for a choice test", at)
		}
		if c.Choice, err = stringValue(val, in("choiceValue")); err != nil {
			return Criterion{}, err
		}
		if !slices.Contains(field.Choices, c.Choice) {
			return Criterion{}, errorf("choiceValue %q in %s is not a choice of field %q of %s; choices: %s",
				c.Choice, at, field.Name, schema.Resource, strings.Join(field.Choices, ", "))
		}
	case "date":
		c.FirstInclusive, c.LastInclusive = true, true
		for _, b := range []struct {
			value, inclusive string
			v                **int64
			incl             *bool
		}{
			{"firstDateValue", "firstDateInclusive", &c.First, &c.FirstInclusive},
			{"lastDateValue", "lastDateInclusive", &c.Last, &c.LastInclusive},
		} {
			if get(b.value) {
				v, err := intValue(val, in(b.value))
				if err != nil {
					return Criterion{}, err
				}
				*b.v = &v
			}
			if get(b.inclusive) {
				if *b.incl, err = boolValue(val, in(b.inclusive)); err != nil {
					return Criterion{}, err
				}
			}
		}
		if c.First == nil && c.Last == nil {
			return Criterion{}, errorf("%s has a date test on field %q without firstDateValue or lastDateValue", at, field.Name)
		}
	case "null":
		c.NullTest = true
		get("nullTest")
		if c.Null, err = boolValue(val, in("nullTest")); err != nil {
			return Criterion{}, err
		}
	}
	return c, nil
}

// op reads the operator under key (default equal), which must be one of
// allowed.
func op(values map[string]json.RawMessage, key, at string, allowed []Op) (Op, error) {
	raw, ok := values[key]
	if !ok {
		return Equal, nil
	}
	name, err := stringValue(raw, key+" in "+at)
	if err != nil {
		return 0, err
	}
	names := make([]string, len(allowed))
	for i, o := range allowed {
		if o.String() == name {
			return o, nil
		}
		names[i] = o.String()
	}
	return 0, errorf("Unknown %s %q in %s; allowed: %s", key, name, at, strings.Join(names, ", "))
}
