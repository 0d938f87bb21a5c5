package netsec

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"

	"github.com/rampart-sec/rampart/client/transport"
)

// Appliance is one network appliance.
type Appliance struct {
	ID         int64  `json:"ID"`
	InstanceID string `json:"instanceId"`
	TOSVersion string `json:"tosVersion"`
	DVVersion  string `json:"dvVersion,omitempty"`
	Provider   string `json:"provider,omitempty"`
	HostName   string `json:"hostName,omitempty"`
}

// ListOptions page and filter the appliance list; zero fields are not
// sent (the server's defaults: the first page of 10, sorted by ID).
type ListOptions struct {
	// Cursor is a page's Next, "" for the first page.
	Cursor string
	// Limit is the page size (server default 10).
	Limit int
	// Query is a substring of the ID, instance ID, provider, TOS version,
	// DV version or host name.
	Query string
	// SortBy is one of ID, instanceId, dvVersion, tosVersion, provider,
	// hostName.
	SortBy string
	// SortDirection is "asc" or "desc".
	SortDirection string
}

func (o ListOptions) query() url.Values {
	q := url.Values{}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	for k, v := range map[string]string{"query": o.Query, "sortBy": o.SortBy, "sortDirection": o.SortDirection} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// AppliancePage is one page of the list.
type AppliancePage struct {
	TotalCount int `json:"totalCount"`
	// Next is the cursor of the next page, "" on the last.
	Next       string      `json:"next"`
	Appliances []Appliance `json:"appliances"`
}

// ListAppliances reads one page of appliances (GET /api/appliances).
func (c *Client) ListAppliances(ctx context.Context, o ListOptions) (AppliancePage, error) {
	var out AppliancePage
	_, err := c.call(ctx, http.MethodGet, "/appliances", o.query(), nil, transport.ByMethod, &out)
	return out, err
}

// Appliances iterates over every appliance o selects, following next from
// page to page (o.Cursor is the starting point). It stops at the first
// error, which it yields.
func (c *Client) Appliances(ctx context.Context, o ListOptions) iter.Seq2[Appliance, error] {
	return follow(o.Cursor, func(cursor string) (AppliancePage, error) {
		o.Cursor = cursor
		return c.ListAppliances(ctx, o)
	})
}

// follow yields the appliances of the page at cursor start and of every
// page after it, fetched with fetch.
func follow(start string, fetch func(cursor string) (AppliancePage, error)) iter.Seq2[Appliance, error] {
	return func(yield func(Appliance, error) bool) {
		seen := map[string]bool{start: true}
		cursor := start
		for {
			page, err := fetch(cursor)
			if err != nil {
				yield(Appliance{}, err)
				return
			}
			for _, a := range page.Appliances {
				if !yield(a, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			// A server that hands back a cursor already followed would
			// loop for ever.
			if seen[page.Next] {
				yield(Appliance{}, fmt.Errorf("network security: listing appliances: cursor %q repeats", page.Next))
				return
			}
			seen[page.Next] = true
			cursor = page.Next
		}
	}
}

// AllAppliances collects Appliances.
func (c *Client) AllAppliances(ctx context.Context, o ListOptions) ([]Appliance, error) {
	var out []Appliance
	for a, err := range c.Appliances(ctx, o) {
		if err != nil {
			return out, err
		}
		out = append(out, a)
	}
	return out, nil
}

// Appliance reads one appliance (GET /api/appliances/{id}); an unknown one
// is a 404 *Error.
func (c *Client) Appliance(ctx context.Context, id int64) (Appliance, error) {
	var out Appliance
	_, err := c.call(ctx, http.MethodGet, "/appliances/"+strconv.FormatInt(id, 10), nil, nil, transport.ByMethod, &out)
	return out, err
}
