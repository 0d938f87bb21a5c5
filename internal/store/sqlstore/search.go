package sqlstore

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/rampart-sec/rampart/internal/search"
)

// searchTable tells compileSearch how a resource's search.Schema maps onto
// SQL.
type searchTable struct {
	// Name is the table, for the caller's FROM and for messages.
	Name string
	// IDColumn is the object's integer ID column: ID tests without a field
	// compare it, and results are always ordered by it.
	IDColumn string
	// Columns maps each schema field name to its column (or any SQL
	// expression both engines accept). It is trusted text, never client
	// input; client values only ever travel as arguments.
	Columns map[string]string
}

// checkSearchTable reports the fields of schema that t has no column for.
// compileSearch panics on such a field, so every resource's pairing should
// pass this check in a test.
func checkSearchTable(schema search.Schema, t searchTable) error {
	var missing []string
	for _, f := range schema.Fields {
		if _, ok := t.Columns[f.Name]; !ok {
			missing = append(missing, f.Name)
		}
	}
	if t.IDColumn == "" {
		missing = append(missing, "(ID column)")
	}
	if len(missing) > 0 {
		return fmt.Errorf("search table %s has no column for %s fields %s", t.Name, schema.Resource, strings.Join(missing, ", "))
	}
	return nil
}

// compileSearch turns a parsed search filter into SQL for table t, in the
// dialect SQLite and PostgreSQL share. where is "" or " WHERE c1 AND c2 ...";
// args are the values of its placeholders, numbered $firstArg, $firstArg+1,
// and so on, so the caller may put its own arguments first; tail is
// " ORDER BY <IDColumn> LIMIT <MaxItems>". A caller writes
//
//	"SELECT ... FROM " + t.Name + where + tail
//
// The SQL follows these rules, chosen where the vendor is silent:
//
//   - Results are always ordered by ID, whatever SortByObjectID says, so
//     that paging (idTest greater-than the last ID) is stable and the same
//     filter gives the same answer on both engines. LIMIT is MaxItems, and
//     an explicit maxItems of 0 returns no rows.
//   - String tests are case-insensitive on both engines, with or without
//     wildcards: LOWER(col) = LOWER($n), or LOWER(col) LIKE LOWER($n)
//     ESCAPE '\' with wildcards, where the vendor's % and _ are LIKE's own
//     and a backslash in the value is escaped to stand for itself. (SQLite's
//     LIKE ignores ASCII case and PostgreSQL's does not; lowering both sides
//     makes them agree. LOWER folds only ASCII on SQLite but all of Unicode
//     on PostgreSQL, so non-ASCII case-folding differs by engine.)
//   - not-equal (string, numeric, ID, choice) also matches rows where the
//     column is NULL: "is not x" is true of an unset field, where SQL's
//     three-valued logic would drop the row.
//   - Numbers that are whole and within ±2^53, and IDs, are bound as
//     CAST($n AS BIGINT); other numbers as CAST($n AS DOUBLE PRECISION).
//     PostgreSQL gives a bare placeholder the column's type, so without the
//     casts it would refuse to bind 2.5, or 3000000000, against an INTEGER
//     column; integer-to-BIGINT comparisons still use its indexes.
//   - Booleans are INTEGER 0/1 columns; dates are BIGINT milliseconds.
//   - A null test is col IS NULL or col IS NOT NULL.
//
// A criterion's field must have a column in t.Columns (checkSearchTable
// checks a pairing); compileSearch panics on one that does not, as that is
// a programming error, not a client's.
func compileSearch(f search.Filter, t searchTable, firstArg int) (where string, args []any, tail string) {
	b := searchBuilder{next: firstArg}
	conds := make([]string, 0, len(f.Criteria))
	for _, c := range f.Criteria {
		col := t.IDColumn
		if c.Field != "" {
			var ok bool
			if col, ok = t.Columns[c.Field]; !ok {
				panic(fmt.Sprintf("sqlstore: search field %q has no column in search table %s", c.Field, t.Name))
			}
		}
		conds = append(conds, b.criterion(c, col))
	}
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := max(f.MaxItems, 0)
	tail = " ORDER BY " + t.IDColumn + " LIMIT " + strconv.Itoa(limit)
	return where, b.args, tail
}

// searchBuilder numbers placeholders and collects their values.
type searchBuilder struct {
	next int
	args []any
}

func (b *searchBuilder) arg(v any) string {
	b.args = append(b.args, v)
	p := "$" + strconv.Itoa(b.next)
	b.next++
	return p
}

// sqlOps are the SQL comparison operators of the search operators.
var sqlOps = map[search.Op]string{
	search.Equal:          "=",
	search.NotEqual:       "<>",
	search.LessThan:       "<",
	search.LessOrEqual:    "<=",
	search.GreaterOrEqual: ">=",
	search.GreaterThan:    ">",
}

// orNull widens a not-equal condition to rows where col is NULL.
func orNull(op search.Op, cond, col string) string {
	if op == search.NotEqual {
		return "(" + cond + " OR " + col + " IS NULL)"
	}
	return cond
}

// likeEscaper makes a backslash in a wildcard value stand for itself under
// ESCAPE '\'; % and _ stay wildcards.
var likeEscaper = strings.NewReplacer(`\`, `\\`)

// exactFloat is the largest magnitude below which every whole float64 is
// exactly an int64 and comparisons with integer columns are exact.
const exactFloat = 1 << 53

func (b *searchBuilder) criterion(c search.Criterion, col string) string {
	if c.NullTest {
		if c.Null {
			return col + " IS NULL"
		}
		return col + " IS NOT NULL"
	}
	switch c.Type {
	case search.String:
		// A value without % or _ means the same with or without wildcards;
		// compiled as equality it can use the LOWER(column) indexes.
		if c.Wildcards && strings.ContainsAny(c.String, "%_") {
			not := ""
			if c.Op == search.NotEqual {
				not = "NOT "
			}
			return orNull(c.Op, "LOWER("+col+") "+not+"LIKE LOWER("+b.arg(likeEscaper.Replace(c.String))+`) ESCAPE '\'`, col)
		}
		return orNull(c.Op, "LOWER("+col+") "+sqlOps[c.Op]+" LOWER("+b.arg(c.String)+")", col)
	case search.Number:
		var p string
		if c.Number == math.Trunc(c.Number) && math.Abs(c.Number) < exactFloat {
			p = "CAST(" + b.arg(int64(c.Number)) + " AS BIGINT)"
		} else {
			p = "CAST(" + b.arg(c.Number) + " AS DOUBLE PRECISION)"
		}
		return orNull(c.Op, col+" "+sqlOps[c.Op]+" "+p, col)
	case search.ID:
		return orNull(c.Op, col+" "+sqlOps[c.Op]+" CAST("+b.arg(c.ID)+" AS BIGINT)", col)
	case search.Boolean:
		if c.Bool {
			return col + " = 1"
		}
		return col + " = 0"
	case search.Choice:
		return orNull(c.Op, col+" "+sqlOps[c.Op]+" "+b.arg(c.Choice), col)
	case search.Date:
		var parts []string
		if c.First != nil {
			op := ">"
			if c.FirstInclusive {
				op = ">="
			}
			parts = append(parts, col+" "+op+" "+b.arg(*c.First))
		}
		if c.Last != nil {
			op := "<"
			if c.LastInclusive {
				op = "<="
			}
			parts = append(parts, col+" "+op+" "+b.arg(*c.Last))
		}
		if len(parts) == 0 {
			return "1 = 1"
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	}
	panic(fmt.Sprintf("sqlstore: search criterion on %q has unknown type %d", c.Field, c.Type))
}
