package netsec

import (
	"context"
	"iter"
	"net/http"

	"github.com/rampart-sec/rampart/client/search"
	"github.com/rampart-sec/rampart/client/transport"
)

// SearchFilter is the body of SearchAppliances: a SearchFilter on the
// fields ID, instanceId, tosVersion, dvVersion, provider and hostName
// (build the criteria with package search's helpers), with the list's
// paging keys. Results come in ID order.
type SearchFilter struct {
	search.Filter
	// Limit is the page size; the whole of MaxItems when 0.
	Limit int `json:"limit,omitempty"`
	// Cursor is a page's Next, "" for the first page.
	Cursor string `json:"cursor,omitempty"`
}

// SearchAppliances reads one page of the appliances f selects (POST
// /api/appliances/search; a search changes nothing, so it is retried like
// a GET).
func (c *Client) SearchAppliances(ctx context.Context, f SearchFilter) (AppliancePage, error) {
	var out AppliancePage
	_, err := c.call(ctx, http.MethodPost, "/appliances/search", nil, f, transport.Idempotent, &out)
	return out, err
}

// SearchAllAppliances iterates over every appliance f selects, following
// next from page to page (f.Cursor is the starting point). It stops at the
// first error, which it yields.
func (c *Client) SearchAllAppliances(ctx context.Context, f SearchFilter) iter.Seq2[Appliance, error] {
	return follow(f.Cursor, func(cursor string) (AppliancePage, error) {
		f.Cursor = cursor
		return c.SearchAppliances(ctx, f)
	})
}
