package sqlstore

import (
	"fmt"
	"strings"
)

// where builds a WHERE clause of ANDed conditions with numbered
// placeholders. Empty values add no condition: an empty filter field means
// "not given".
type where struct {
	conds []string
	args  []any
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

// eq adds "column = value" when value is not empty.
func (w *where) eq(column, value string) {
	if value != "" {
		w.conds = append(w.conds, column+" = "+w.arg(value))
	}
}

// address adds a condition that the row (of owner kind, in table) has an
// address of kind equal to value.
func (w *where) address(owner, table, kind, value string) {
	if value == "" {
		return
	}
	w.conds = append(w.conds, fmt.Sprintf(
		"EXISTS (SELECT 1 FROM addresses d WHERE d.owner_kind = '%s' AND d.owner_key = %s.entity_key AND d.kind = '%s' AND d.value = %s)",
		owner, table, kind, w.arg(value)))
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
