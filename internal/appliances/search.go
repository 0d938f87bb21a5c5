package appliances

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/rampart-sec/rampart/internal/search"
)

// Schema is what an appliance search may name: the appliance's own ID
// (an idTest with or without fieldName "ID") and its reported fields.
var Schema = search.Schema{Resource: "appliances", Paged: true, Fields: []search.Field{
	{Name: "ID", Type: search.ID}, {Name: "instanceId", Type: search.String},
	{Name: "tosVersion", Type: search.String}, {Name: "dvVersion", Type: search.String},
	{Name: "provider", Type: search.String}, {Name: "hostName", Type: search.String},
}}

// Page is one page of a search: the appliances, how many match in all,
// and the cursor of the next page ("" on the last).
type Page struct {
	Appliances []Appliance
	Total      int
	Next       string
}

// Search runs a parsed appliance search. Results are in ID order; the page
// holds Limit appliances (MaxItems when no limit is given, and never more
// than MaxItems), and the cursor is the last ID handed out, so a page
// never repeats or skips an appliance added or removed meanwhile.
func (s *Service) Search(ctx context.Context, f search.Filter) (Page, error) {
	size := f.MaxItems
	if f.Limit > 0 {
		size = min(f.Limit, size)
	}
	q := f
	q.Criteria = slices.Clone(f.Criteria)
	if f.Cursor != "" {
		after, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || after < 0 {
			return Page{}, fmt.Errorf("%w: cursor %q is not one this server handed out", ErrInvalid, f.Cursor)
		}
		q.Criteria = append(q.Criteria, search.Criterion{Type: search.ID, Op: search.GreaterThan, ID: after})
	}
	q.MaxItems = size + 1 // one more tells whether a next page exists
	list, err := s.store.SearchAppliances(ctx, q)
	if err != nil {
		return Page{}, err
	}
	total, err := s.store.CountAppliances(ctx, f.Criteria)
	if err != nil {
		return Page{}, err
	}
	p := Page{Appliances: list, Total: total}
	if len(list) > size {
		p.Appliances = list[:size]
		if size == 0 {
			return p, nil // maxItems 0 asks for no items, not for pages of none
		}
		p.Next = strconv.FormatInt(p.Appliances[size-1].ID, 10)
	}
	return p, nil
}
