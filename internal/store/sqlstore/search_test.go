package sqlstore

import (
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	_ "modernc.org/sqlite" // the "sqlite" driver, for these tests only

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/identity"
	"github.com/rampart-sec/rampart/internal/search"
)

// thingsSchema and thingsTable describe the test table to the search
// engine; every field but the ID may be NULL.
var (
	thingsSchema = search.Schema{
		Resource: "things",
		Fields: []search.Field{
			{Name: "ID", Type: search.ID},
			{Name: "name", Type: search.String, Nullable: true},
			{Name: "size", Type: search.Number, Nullable: true},
			{Name: "active", Type: search.Boolean, Nullable: true},
			{Name: "kind", Type: search.Choice, Choices: []string{"alpha", "beta", "gamma"}, Nullable: true},
			{Name: "created", Type: search.Date, Nullable: true},
			{Name: "note", Type: search.String, Nullable: true},
		},
	}
	thingsTable = searchTable{
		Name:     "things",
		IDColumn: "id",
		Columns: map[string]string{
			"ID": "id", "name": "name", "size": "size", "active": "active",
			"kind": "kind", "created": "created", "note": "note",
		},
	}
)

// thingNames are the names of rows 1 to 16, chosen to trip up wildcards,
// escaping and case; row 12 has none, rows 17 to 30 are "item-17" and on.
var thingNames = map[int]string{
	1: "a_b", 2: "a%b", 3: "axb", 4: "A_B", 5: "ab", 6: `a\b`, 7: `a\\b`, 8: "axxb",
	9: "a€b", 10: "AXB", 11: "café", 13: "Auditor", 14: "Full Access", 15: "auditor_2", 16: "a_bc",
}

// openThings returns a database with the things table and its 30 rows.
// Row i has size i*10 and created i*1000 (both NULL in row 12), active i%2
// (NULL in row 30), kind alpha, beta, gamma for i%3 = 0, 1, 2 (NULL in row
// 30), and a note only in rows 2, 4 and 6.
func openThings(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+t.TempDir()+"/s.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT, size INTEGER, active INTEGER, kind TEXT, created BIGINT, note TEXT NULL)`); err != nil {
		t.Fatal(err)
	}
	kinds := []string{"alpha", "beta", "gamma"}
	for i := 1; i <= 30; i++ {
		var name, size, active, kind, created, note any
		name, size, active, kind, created = fmt.Sprintf("item-%d", i), i*10, i%2, kinds[i%3], int64(i)*1000
		if n, ok := thingNames[i]; ok {
			name = n
		}
		if i == 12 {
			name, size, created = nil, nil, nil
		}
		if i == 30 {
			active, kind = nil, nil
		}
		if i == 2 || i == 4 || i == 6 {
			note = fmt.Sprintf("n%d", i)
		}
		if _, err := db.Exec(`INSERT INTO things (id, name, size, active, kind, created, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			i, name, size, active, kind, created, note); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// searchThings parses body, compiles it with its arguments numbered from
// firstArg after prefixArgs, and returns the IDs the query finds.
func searchThings(t *testing.T, db *sql.DB, body string) []int64 {
	t.Helper()
	f, err := search.Parse([]byte(body), thingsSchema)
	if err != nil {
		t.Fatalf("Parse(%s): %v", body, err)
	}
	where, args, tail := compileSearch(f, thingsTable, 1)
	return queryIDs(t, db, "SELECT id FROM things"+where+tail, args...)
}

func queryIDs(t *testing.T, db *sql.DB, query string, args ...any) []int64 {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s %v: %v", query, args, err)
	}
	defer rows.Close()
	ids := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// span returns the IDs from to to, inclusive.
func span(from, to int64) []int64 {
	var ids []int64
	for i := from; i <= to; i++ {
		ids = append(ids, i)
	}
	return ids
}

// allBut returns the IDs 1 to 30 except some.
func allBut(except ...int64) []int64 {
	return slices.DeleteFunc(span(1, 30), func(i int64) bool { return slices.Contains(except, i) })
}

// every returns the IDs 1 to 30 that keep selects.
func every(keep func(i int64) bool) []int64 {
	return slices.DeleteFunc(span(1, 30), func(i int64) bool { return !keep(i) })
}

func cat(lists ...[]int64) []int64 { return slices.Concat(lists...) }

// crit wraps criteria into a filter body.
func crit(criteria ...string) string {
	return `{"searchCriteria": [` + strings.Join(criteria, ", ") + `]}`
}

// thingsSearch is a filter on the things table and the IDs it must find.
type thingsSearch struct {
	name string
	body string
	want []int64
}

// thingsSearches are the searches both engines must answer alike.
func thingsSearches() []thingsSearch {
	str := func(value string, wildcards bool, test string) string {
		return fmt.Sprintf(`{"fieldName": "name", "stringValue": %q, "stringWildcards": %t, "stringTest": %q}`, value, wildcards, test)
	}
	num := func(test, value string) string {
		return fmt.Sprintf(`{"fieldName": "size", "numericTest": %q, "numericValue": %s}`, test, value)
	}
	id := func(test string, value int) string { return fmt.Sprintf(`{"idTest": %q, "idValue": %d}`, test, value) }
	return []thingsSearch{
		{"no criteria", `{}`, span(1, 30)},
		{"empty body", ``, span(1, 30)},

		// Strings: wildcards, escaping, case.
		{"underscore literal without wildcards", crit(str("a_b", false, "equal")), []int64{1, 4}},
		{"underscore is one character with wildcards", crit(str("a_b", true, "equal")), []int64{1, 2, 3, 4, 6, 9, 10}},
		{"wildcards are the default", crit(`{"fieldName": "name", "stringValue": "a_b"}`), []int64{1, 2, 3, 4, 6, 9, 10}},
		{"percent literal without wildcards", crit(str("a%b", false, "equal")), []int64{2}},
		{"percent is any run with wildcards", crit(str("a%b", true, "equal")), span(1, 10)},
		{"percent alone matches every set name", crit(str("%", true, "equal")), allBut(12)},
		{"backslash without wildcards", crit(str(`a\b`, false, "equal")), []int64{6}},
		{"backslash stands for itself with wildcards", crit(str(`a\b`, true, "equal")), []int64{6}},
		{"two backslashes with wildcards", crit(str(`a\\b`, true, "equal")), []int64{7}},
		{"backslash does not escape underscore", crit(str(`a\_b`, true, "equal")), []int64{7}},
		{"backslash underscore literal", crit(str(`a\_b`, false, "equal")), []int64{}},
		{"equal ignores case", crit(str("auditor", false, "equal")), []int64{13}},
		{"wildcards ignore case", crit(str("AUDITOR%", true, "equal")), []int64{13, 15}},
		{"equal ignores case with a space", crit(str("FULL ACCESS", false, "equal")), []int64{14}},
		{"unicode equal", crit(str("café", false, "equal")), []int64{11}},
		{"underscore matches one unicode character", crit(str("caf_", true, "equal")), []int64{11}},
		{"euro sign equal", crit(str("a€b", false, "equal")), []int64{9}},
		{"item prefix and one character", crit(str("item-2_", true, "equal")), span(20, 29)},
		{"empty string", crit(str("", false, "equal")), []int64{}},
		{"not-equal without wildcards keeps NULL", crit(str("a_b", false, "not-equal")), allBut(1, 4)},
		{"not-equal with wildcards keeps NULL", crit(str("a%", true, "not-equal")), cat([]int64{11, 12, 14}, span(17, 30))},

		// Numbers: every operator, whole and fractional values.
		{"less-than", crit(num("less-than", "35")), []int64{1, 2, 3}},
		{"less-than-or-equal", crit(num("less-than-or-equal", "30")), []int64{1, 2, 3}},
		{"equal", crit(num("equal", "30")), []int64{3}},
		{"equal is the default", crit(`{"fieldName": "size", "numericValue": 30}`), []int64{3}},
		{"greater-than-or-equal", crit(num("greater-than-or-equal", "280")), []int64{28, 29, 30}},
		{"greater-than", crit(num("greater-than", "280")), []int64{29, 30}},
		{"not-equal keeps NULL", crit(num("not-equal", "30")), allBut(3)},
		{"fraction less-than", crit(num("less-than", "25.5")), []int64{1, 2}},
		{"fraction greater-than", crit(num("greater-than", "295.5")), []int64{30}},
		{"fraction equal", crit(num("equal", "30.5")), []int64{}},
		{"fraction not-equal", crit(num("not-equal", "10.5")), span(1, 30)},
		{"huge value", crit(num("less-than-or-equal", "1e300")), allBut(12)},
		{"negative value", crit(num("greater-than-or-equal", "-5")), allBut(12)},
		{"beyond 32 bits", crit(num("less-than", "3000000000")), allBut(12)},

		// IDs: every operator, on the object's ID and through a field.
		{"id less-than", crit(id("less-than", 15)), span(1, 14)},
		{"id less-than-or-equal", crit(id("less-than-or-equal", 15)), span(1, 15)},
		{"id equal", crit(id("equal", 15)), []int64{15}},
		{"id greater-than-or-equal", crit(id("greater-than-or-equal", 15)), span(15, 30)},
		{"id greater-than", crit(id("greater-than", 15)), span(16, 30)},
		{"id not-equal", crit(id("not-equal", 15)), allBut(15)},
		{"id default equal", crit(`{"idValue": 7}`), []int64{7}},
		{"id through the ID field", crit(`{"fieldName": "ID", "idTest": "less-than", "idValue": 3}`), []int64{1, 2}},
		{"id range", crit(id("greater-than", 5), id("less-than", 9)), []int64{6, 7, 8}},
		{"id beyond 32 bits", crit(id("less-than", 3000000000)), span(1, 30)},

		// Booleans.
		{"boolean true", crit(`{"fieldName": "active", "booleanTest": true}`), every(func(i int64) bool { return i%2 == 1 })},
		{"boolean false skips NULL", crit(`{"fieldName": "active", "booleanTest": false}`), every(func(i int64) bool { return i%2 == 0 && i != 30 })},

		// Choices.
		{"choice equal", crit(`{"fieldName": "kind", "choiceValue": "alpha"}`), every(func(i int64) bool { return i%3 == 0 && i != 30 })},
		{"choice equal beta", crit(`{"fieldName": "kind", "choiceTest": "equal", "choiceValue": "beta"}`), every(func(i int64) bool { return i%3 == 1 })},
		{"choice not-equal keeps NULL", crit(`{"fieldName": "kind", "choiceTest": "not-equal", "choiceValue": "alpha"}`), every(func(i int64) bool { return i%3 != 0 || i == 30 })},

		// Dates.
		{"date inclusive range", crit(`{"fieldName": "created", "firstDateValue": 3000, "lastDateValue": 5000}`), []int64{3, 4, 5}},
		{"date exclusive range", crit(`{"fieldName": "created", "firstDateValue": 3000, "firstDateInclusive": false, "lastDateValue": 5000, "lastDateInclusive": false}`), []int64{4}},
		{"date exclusive first", crit(`{"fieldName": "created", "firstDateValue": 3000, "firstDateInclusive": false, "lastDateValue": 5000}`), []int64{4, 5}},
		{"date exclusive last", crit(`{"fieldName": "created", "firstDateValue": 3000, "lastDateValue": 5000, "lastDateInclusive": false}`), []int64{3, 4}},
		{"date open start", crit(`{"fieldName": "created", "lastDateValue": 2000}`), []int64{1, 2}},
		{"date open start exclusive", crit(`{"fieldName": "created", "lastDateValue": 2000, "lastDateInclusive": false}`), []int64{1}},
		{"date open end", crit(`{"fieldName": "created", "firstDateValue": 29000}`), []int64{29, 30}},
		{"date open end exclusive", crit(`{"fieldName": "created", "firstDateValue": 29000, "firstDateInclusive": false}`), []int64{30}},
		{"date range skips NULL", crit(`{"fieldName": "created", "firstDateValue": 11000, "lastDateValue": 13000}`), []int64{11, 13}},
		{"date backwards range", crit(`{"fieldName": "created", "firstDateValue": 5000, "lastDateValue": 3000}`), []int64{}},

		// Null tests.
		{"null true", crit(`{"fieldName": "note", "nullTest": true}`), allBut(2, 4, 6)},
		{"null false", crit(`{"fieldName": "note", "nullTest": false}`), []int64{2, 4, 6}},
		{"null name", crit(`{"fieldName": "name", "nullTest": true}`), []int64{12}},
		{"string not-equal on a mostly NULL column", crit(`{"fieldName": "note", "stringTest": "not-equal", "stringValue": "N2", "stringWildcards": false}`), allBut(2)},

		// Criteria are ANDed.
		{"four criteria", crit(str("item-%", true, "equal"), num("greater-than-or-equal", "200"),
			`{"fieldName": "kind", "choiceTest": "not-equal", "choiceValue": "alpha"}`, `{"fieldName": "active", "booleanTest": false}`),
			[]int64{20, 22, 26, 28}},
		{"contradiction", crit(id("less-than", 5), id("greater-than", 5)), []int64{}},

		// maxItems.
		{"maxItems limits", `{"maxItems": 5}`, span(1, 5)},
		{"maxItems zero returns nothing", `{"maxItems": 0}`, []int64{}},
		{"maxItems with criteria", `{"maxItems": 3, "searchCriteria": [{"fieldName": "kind", "choiceValue": "beta"}]}`, []int64{1, 4, 7}},
		{"maxItems over the cap", `{"maxItems": 100000}`, span(1, 30)},
		{"sortByObjectID false still sorts by ID", `{"sortByObjectID": false, "maxItems": 2}`, []int64{1, 2}},
	}
}

func TestCompileSearchOnSQLite(t *testing.T) {
	db := openThings(t)
	for _, tt := range thingsSearches() {
		t.Run(tt.name, func(t *testing.T) {
			got := searchThings(t, db, tt.body)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("search %s (-want +got):\n%s", tt.body, diff)
			}
		})
	}
}

// TestCompileSearchPaging pages through the table as clients do: sorted by
// ID, each page after the last ID seen, until a page comes back empty.
func TestCompileSearchPaging(t *testing.T) {
	db := openThings(t)
	var pages [][]int64
	last := int64(0)
	for range 10 {
		page := searchThings(t, db, fmt.Sprintf(
			`{"maxItems": 10, "sortByObjectID": true, "searchCriteria": [{"idTest": "greater-than", "idValue": %d}]}`, last))
		if len(page) == 0 {
			break
		}
		pages = append(pages, page)
		last = page[len(page)-1]
	}
	want := [][]int64{span(1, 10), span(11, 20), span(21, 30)}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages (-want +got):\n%s", diff)
	}
}

// TestCompileSearchFirstArg checks that the caller's own arguments can come
// first.
func TestCompileSearchFirstArg(t *testing.T) {
	db := openThings(t)
	f, err := search.Parse([]byte(crit(`{"fieldName": "kind", "choiceValue": "beta"}`, `{"idTest": "less-than", "idValue": 20}`)), thingsSchema)
	if err != nil {
		t.Fatal(err)
	}
	where, args, tail := compileSearch(f, thingsTable, 3)
	if !strings.Contains(where, "$3") || !strings.Contains(where, "$4") || strings.Contains(where, "$1") {
		t.Fatalf("where %q does not number from $3", where)
	}
	query := "SELECT id FROM (SELECT * FROM things WHERE size >= $1 AND size <= $2) AS things" + where + tail
	got := queryIDs(t, db, query, append([]any{50, 150}, args...)...)
	if diff := cmp.Diff([]int64{7, 10, 13}, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", query, diff)
	}
}

// TestCompileSearchSQL pins the SQL for each kind of test, as both engines
// must accept it.
func TestCompileSearchSQL(t *testing.T) {
	ms := func(v int64) *int64 { return &v }
	tests := []struct {
		name  string
		c     search.Criterion
		where string
		args  []any
	}{
		{"string", search.Criterion{Field: "name", Type: search.String, Op: search.Equal, String: "x"},
			" WHERE LOWER(name) = LOWER($1)", []any{"x"}},
		{"string not-equal", search.Criterion{Field: "name", Type: search.String, Op: search.NotEqual, String: "x"},
			" WHERE (LOWER(name) <> LOWER($1) OR name IS NULL)", []any{"x"}},
		{"string wildcards", search.Criterion{Field: "name", Type: search.String, Op: search.Equal, String: `a\%_`, Wildcards: true},
			` WHERE LOWER(name) LIKE LOWER($1) ESCAPE '\'`, []any{`a\\%_`}},
		{"string wildcards not-equal", search.Criterion{Field: "name", Type: search.String, Op: search.NotEqual, String: "a%", Wildcards: true},
			` WHERE (LOWER(name) NOT LIKE LOWER($1) ESCAPE '\' OR name IS NULL)`, []any{"a%"}},
		{"whole number", search.Criterion{Field: "size", Type: search.Number, Op: search.LessOrEqual, Number: 3},
			" WHERE size <= CAST($1 AS BIGINT)", []any{int64(3)}},
		{"fraction", search.Criterion{Field: "size", Type: search.Number, Op: search.GreaterThan, Number: 2.5},
			" WHERE size > CAST($1 AS DOUBLE PRECISION)", []any{2.5}},
		{"id", search.Criterion{Type: search.ID, Op: search.GreaterOrEqual, ID: 9},
			" WHERE id >= CAST($1 AS BIGINT)", []any{int64(9)}},
		{"boolean", search.Criterion{Field: "active", Type: search.Boolean, Op: search.Equal, Bool: true},
			" WHERE active = 1", nil},
		{"choice not-equal", search.Criterion{Field: "kind", Type: search.Choice, Op: search.NotEqual, Choice: "beta"},
			" WHERE (kind <> $1 OR kind IS NULL)", []any{"beta"}},
		{"date", search.Criterion{Field: "created", Type: search.Date, First: ms(1), Last: ms(2), LastInclusive: true},
			" WHERE (created > $1 AND created <= $2)", []any{int64(1), int64(2)}},
		{"null", search.Criterion{Field: "note", Type: search.String, NullTest: true},
			" WHERE note IS NOT NULL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			where, args, tail := compileSearch(search.Filter{MaxItems: 7, Criteria: []search.Criterion{tt.c}}, thingsTable, 1)
			if where != tt.where {
				t.Errorf("where = %q, want %q", where, tt.where)
			}
			if diff := cmp.Diff(tt.args, args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
			if tail != " ORDER BY id LIMIT 7" {
				t.Errorf("tail = %q", tail)
			}
		})
	}
	where, args, tail := compileSearch(search.Filter{}, thingsTable, 1)
	if where != "" || args != nil || tail != " ORDER BY id LIMIT 0" {
		t.Errorf("empty filter: %q %v %q", where, args, tail)
	}
}

func TestCheckSearchTable(t *testing.T) {
	if err := checkSearchTable(thingsSchema, thingsTable); err != nil {
		t.Errorf("things: %v", err)
	}
	for _, pair := range []struct {
		schema search.Schema
		table  searchTable
	}{{identity.RoleSchema, roleTable}, {identity.APIKeySchema, keyTable}, {appliances.Schema, applianceTable}} {
		if err := checkSearchTable(pair.schema, pair.table); err != nil {
			t.Errorf("%s: %v", pair.schema.Resource, err)
		}
	}
	broken := searchTable{Name: "things", Columns: map[string]string{"name": "name"}}
	err := checkSearchTable(thingsSchema, broken)
	if err == nil || !strings.Contains(err.Error(), "ID, size, active, kind, created, note, (ID column)") {
		t.Errorf("broken table: %v", err)
	}
}

func TestCompileSearchPanicsOnUnmappedField(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), `"size" has no column`) {
			t.Errorf("recovered %v, want a panic naming the field", r)
		}
	}()
	compileSearch(search.Filter{Criteria: []search.Criterion{{Field: "size", Type: search.Number, Op: search.Equal}}},
		searchTable{Name: "things", IDColumn: "id"}, 1)
}
