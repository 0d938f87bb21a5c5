package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrTargetNotEmpty is returned by Copy when the target database already
// holds data: Copy moves an installation, it never merges two.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// versionTable is goose's bookkeeping table; each engine keeps its own.
const versionTable = "goose_db_version"

// migrationSeeded names the tables that the migrations fill themselves, so
// that a freshly migrated database already has rows in them: the ID
// counters (00005_id_counters.sql). Their rows do not count as data when
// Copy checks that the target is empty, and are replaced by the source's.
var migrationSeeded = map[string]bool{"id_counters": true}

// maxParams is PostgreSQL's limit on the parameters of one statement.
const maxParams = math.MaxUint16

// batchRows is how many rows one INSERT carries at most: large enough that
// 100,000 agents take a hundred round trips, not 100,000.
const batchRows = 1000

// Copy copies every row of from, a SQLite store, into to, a PostgreSQL
// store migrated to the same schema version, and returns the number of
// rows copied per table. Every table of the source's schema is copied
// (goose's version table aside), so tables added by later migrations need
// nothing here; tables are written in an order that satisfies the target's
// foreign keys, and the target's identity sequences are then moved past the
// copied IDs, so that new rows get fresh ones.
//
// The source is read in one read transaction (a consistent snapshot, though
// writes a running server makes meanwhile are not copied: stop it first),
// and the target is written in one transaction that locks its tables: Copy
// either copies everything or writes nothing. A target holding any data
// is refused with ErrTargetNotEmpty and left as it was.
//
// Values are converted to what the target's column types expect: a BLOB
// or TEXT value goes into a BYTEA column as bytes (a string there would be
// read as PostgreSQL's escaped text form), bytes into a text column as
// text. progress, when not nil, is told each table's row count once its
// rows are written (before the commit).
func Copy(ctx context.Context, from, to *Store, progress func(table string, rows int)) (map[string]int, error) {
	src, err := from.reader.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer src.Rollback() //nolint:errcheck // a read transaction; nothing to keep
	if err := src.QueryRowContext(ctx, `SELECT sqlite_version()`).Scan(new(string)); err != nil {
		return nil, fmt.Errorf("the source is not a SQLite store: %w", err)
	}

	dst, err := to.DB().BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("beginning the target's transaction: %w", err)
	}
	counts, err := copyTables(ctx, src, dst, progress)
	if err != nil {
		if rbErr := dst.Rollback(); rbErr != nil {
			return nil, errors.Join(err, fmt.Errorf("rolling back: %w", rbErr))
		}
		return nil, err
	}
	if err := dst.Commit(); err != nil {
		return nil, fmt.Errorf("committing the copy: %w", err)
	}
	return counts, nil
}

// column is one column of a target table.
type column struct {
	name     string
	dataType string // information_schema's data_type: bigint, text, bytea...
	sequence bool   // an identity (or serial) column, backed by a sequence
	identity bool   // an identity column: inserting it needs OVERRIDING SYSTEM VALUE
}

func copyTables(ctx context.Context, src *sql.Tx, dst *sql.Tx, progress func(string, int)) (map[string]int, error) {
	var pgVersion string
	if err := dst.QueryRowContext(ctx, `SELECT current_setting('server_version_num')`).Scan(&pgVersion); err != nil {
		return nil, fmt.Errorf("the target is not a PostgreSQL store: %w", err)
	}
	srcVersion, err := schemaVersion(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("reading the source's schema version: %w", err)
	}
	dstVersion, err := schemaVersion(ctx, dst)
	if err != nil {
		return nil, fmt.Errorf("reading the target's schema version: %w", err)
	}
	switch {
	case srcVersion > dstVersion:
		return nil, fmt.Errorf("the source's schema (version %d) is newer than the target's (version %d): migrate with the rampart that last ran on the source", srcVersion, dstVersion)
	case srcVersion < dstVersion:
		return nil, fmt.Errorf("the source's schema (version %d) is older than the target's (version %d): open the source with this rampart first", srcVersion, dstVersion)
	}

	tables, err := stringList(ctx, src, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> $1 ORDER BY name`, versionTable)
	if err != nil {
		return nil, fmt.Errorf("listing the source's tables: %w", err)
	}
	targetTables, err := stringList(ctx, dst, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> $1 ORDER BY table_name`, versionTable)
	if err != nil {
		return nil, fmt.Errorf("listing the target's tables: %w", err)
	}
	for _, t := range tables {
		if !slices.Contains(targetTables, t) {
			return nil, fmt.Errorf("the target has no table %s: its schema differs from the source's", t)
		}
	}

	// Lock every table before looking at it, so that nothing (a replica
	// started too early) writes between the check and the commit.
	quoted := make([]string, len(targetTables))
	for i, t := range targetTables {
		quoted[i] = quoteIdent(t)
	}
	if len(quoted) > 0 {
		if _, err := dst.ExecContext(ctx, `LOCK TABLE `+strings.Join(quoted, ", ")+` IN EXCLUSIVE MODE`); err != nil {
			return nil, fmt.Errorf("locking the target's tables: %w", err)
		}
	}
	var holding []string
	for _, t := range targetTables {
		if migrationSeeded[t] {
			continue
		}
		var rows bool
		if err := dst.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoteIdent(t)+`)`).Scan(&rows); err != nil {
			return nil, fmt.Errorf("checking that the target's table %s is empty: %w", t, err)
		}
		if rows {
			holding = append(holding, t)
		}
	}
	if len(holding) > 0 {
		return nil, fmt.Errorf("%w: table(s) %s hold rows; migrate into a new, empty database", ErrTargetNotEmpty, strings.Join(holding, ", "))
	}

	order, err := insertOrder(ctx, dst, tables)
	if err != nil {
		return nil, err
	}
	counts := make(map[string]int, len(order))
	for _, t := range order {
		n, err := copyTable(ctx, src, dst, t)
		if err != nil {
			return nil, fmt.Errorf("copying table %s: %w", t, err)
		}
		counts[t] = n
		if progress != nil {
			progress(t, n)
		}
	}
	return counts, nil
}

func schemaVersion(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int64, error) {
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(version_id) FROM `+versionTable).Scan(&v); err != nil {
		return 0, err
	}
	return v.Int64, nil
}

func stringList(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// insertOrder sorts tables so that every table comes after the tables its
// foreign keys (in the target) reference, alphabetically among equals.
func insertOrder(ctx context.Context, dst *sql.Tx, tables []string) ([]string, error) {
	rows, err := dst.QueryContext(ctx, `SELECT child.relname, parent.relname FROM pg_constraint c
		JOIN pg_class child ON child.oid = c.conrelid
		JOIN pg_class parent ON parent.oid = c.confrelid
		WHERE c.contype = 'f' AND c.connamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`)
	if err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	defer rows.Close()
	parents := map[string][]string{}
	for rows.Next() {
		var child, parent string
		if err := rows.Scan(&child, &parent); err != nil {
			return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
		}
		if child != parent { // rows of a self-referencing table are not ordered here
			parents[child] = append(parents[child], parent)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading the target's foreign keys: %w", err)
	}
	copying := map[string]bool{}
	for _, t := range tables {
		copying[t] = true
	}
	done := map[string]bool{}
	var order []string
	for len(order) < len(tables) {
		progressed := false
		for _, t := range tables { // tables is sorted by name
			if done[t] {
				continue
			}
			ready := true
			for _, p := range parents[t] {
				if copying[p] && !done[p] {
					ready = false
					break
				}
			}
			if ready {
				done[t] = true
				order = append(order, t)
				progressed = true
				break
			}
		}
		if !progressed {
			return nil, errors.New("the target's foreign keys form a cycle; no table order satisfies them")
		}
	}
	return order, nil
}

// targetColumns returns the columns of table in the target, by name.
func targetColumns(ctx context.Context, dst *sql.Tx, table string) (map[string]column, error) {
	rows, err := dst.QueryContext(ctx, `SELECT column_name, data_type, is_identity = 'YES', COALESCE(column_default LIKE 'nextval(%', false)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1`, table)
	if err != nil {
		return nil, fmt.Errorf("reading the target's columns: %w", err)
	}
	defer rows.Close()
	out := map[string]column{}
	for rows.Next() {
		var c column
		var serial bool
		if err := rows.Scan(&c.name, &c.dataType, &c.identity, &serial); err != nil {
			return nil, fmt.Errorf("reading the target's columns: %w", err)
		}
		c.sequence = c.identity || serial
		out[c.name] = c
	}
	return out, rows.Err()
}

// copyTable copies one table in batches of multi-row INSERTs and moves the
// sequences of its identity columns past the copied values.
func copyTable(ctx context.Context, src, dst *sql.Tx, table string) (int, error) {
	names, err := stringList(ctx, src, `SELECT name FROM pragma_table_info($1) ORDER BY cid`, table)
	if err != nil {
		return 0, fmt.Errorf("reading the source's columns: %w", err)
	}
	target, err := targetColumns(ctx, dst, table)
	if err != nil {
		return 0, err
	}
	cols := make([]column, len(names))
	quoted := make([]string, len(names))
	overriding := ""
	for i, n := range names {
		c, ok := target[n]
		if !ok {
			return 0, fmt.Errorf("the target has no column %s: its schema differs from the source's", n)
		}
		cols[i], quoted[i] = c, quoteIdent(n)
		if c.identity {
			overriding = " OVERRIDING SYSTEM VALUE"
		}
	}
	if migrationSeeded[table] {
		if _, err := dst.ExecContext(ctx, `DELETE FROM `+quoteIdent(table)); err != nil {
			return 0, fmt.Errorf("clearing the rows the migrations put there: %w", err)
		}
	}

	rows, err := src.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+quoteIdent(table))
	if err != nil {
		return 0, fmt.Errorf("reading the source: %w", err)
	}
	defer rows.Close()
	perBatch := max(1, min(batchRows, maxParams/len(cols)))
	insert := func(args []any) error {
		n := len(args) / len(cols)
		var b strings.Builder
		b.WriteString(`INSERT INTO ` + quoteIdent(table) + ` (` + strings.Join(quoted, ", ") + `)` + overriding + ` VALUES `)
		for r := range n {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(r*len(cols)+c+1))
			}
			b.WriteByte(')')
		}
		_, err := dst.ExecContext(ctx, b.String(), args...)
		return err
	}

	values := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range values {
		ptrs[i] = &values[i]
	}
	args := make([]any, 0, perBatch*len(cols))
	total := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return total, fmt.Errorf("reading row %d: %w", total+1, err)
		}
		for i, c := range cols {
			v, err := convert(values[i], c.dataType)
			if err != nil {
				return total, fmt.Errorf("row %d, column %s: %w", total+1, c.name, err)
			}
			args = append(args, v)
		}
		total++
		if len(args) == perBatch*len(cols) {
			if err := insert(args); err != nil {
				return total, fmt.Errorf("writing rows up to %d: %w", total, err)
			}
			args = args[:0]
		}
	}
	if err := rows.Err(); err != nil {
		return total, fmt.Errorf("reading the source: %w", err)
	}
	if len(args) > 0 {
		if err := insert(args); err != nil {
			return total, fmt.Errorf("writing rows up to %d: %w", total, err)
		}
	}

	for _, c := range cols {
		if !c.sequence {
			continue
		}
		// setval is strict: on an empty table (MAX is NULL) the sequence is
		// left alone and starts where it would have.
		_, err := dst.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence($1, $2), (SELECT MAX(`+quoteIdent(c.name)+`) FROM `+quoteIdent(table)+`))`,
			quoteIdent(table), c.name)
		if err != nil {
			return total, fmt.Errorf("moving the sequence of %s past the copied IDs: %w", c.name, err)
		}
	}
	return total, nil
}

// convert turns a value read from SQLite (nil, int64, float64, string or
// []byte: SQLite's storage classes) into what a PostgreSQL column of
// dataType takes.
func convert(v any, dataType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch dataType {
	case "bytea":
		switch x := v.(type) {
		case []byte:
			// The SQLite driver reads an empty BLOB as a nil slice, which
			// pgx would write as NULL.
			if x == nil {
				return []byte{}, nil
			}
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "bigint", "integer", "smallint":
		switch x := v.(type) {
		case int64:
			return x, nil
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<63 {
				return int64(x), nil
			}
		case string:
			return strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		case []byte:
			return strconv.ParseInt(strings.TrimSpace(string(x)), 10, 64)
		}
	case "boolean":
		if x, ok := v.(int64); ok {
			return x != 0, nil
		}
	case "text", "character varying", "character":
		switch x := v.(type) {
		case string:
			if strings.IndexByte(x, 0) >= 0 {
				return nil, errors.New("text with a NUL character, which PostgreSQL text cannot hold")
			}
			return x, nil
		case []byte:
			if !utf8.Valid(x) || slices.Contains(x, 0) {
				return nil, errors.New("binary data in a text column, which PostgreSQL text cannot hold")
			}
			return string(x), nil
		case int64:
			return strconv.FormatInt(x, 10), nil
		case float64:
			return strconv.FormatFloat(x, 'g', -1, 64), nil
		}
	default:
		return v, nil
	}
	return nil, fmt.Errorf("a %T value does not fit a %s column", v, dataType)
}

// quoteIdent quotes an SQL identifier for both engines.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
