package netsec_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/rampart-sec/rampart/internal/appliances"
)

// TestSearchAppliances drives POST /api/appliances/search: criteria on
// every field, paging with limit and cursor across additions, and strict
// 400s for filters the server cannot run.
func TestSearchAppliances(t *testing.T) {
	t.Parallel()
	env := start(t)
	for i := int64(100); i < 125; i++ {
		provider := "Azure"
		if i%5 == 0 {
			provider = "AWS"
		}
		err := env.Server.Appliances.Add(context.Background(), appliances.Appliance{ID: i, InstanceID: fmt.Sprintf("i-%017d", i),
			HostName: fmt.Sprintf("edge-%d", i), Provider: provider, Version: oldVersion, DVVersion: "4.1.0.1"})
		if err != nil {
			t.Fatalf("adding appliance %d: %v", i, err)
		}
	}
	search := func(t *testing.T, body string) page {
		t.Helper()
		var p page
		into(t, call(t, env, http.MethodPost, "/api/appliances/search", body, env.APISecret), http.StatusOK, &p)
		if p.Appliances == nil {
			t.Fatalf("search %s: appliances is null", body)
		}
		return p
	}
	span := func(from, to int64, also ...int64) []int64 {
		out := append([]int64{}, also...)
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}

	t.Run("criteria", func(t *testing.T) {
		for _, c := range []struct {
			name, body string
			want       []int64
		}{
			{"empty body", ``, span(100, 124, 2, 8)},
			{"no criteria", `{}`, span(100, 124, 2, 8)},
			{"instance ID exact", `{"searchCriteria":[{"fieldName":"instanceId","stringValue":"i-0e7b568dd0f88d0c1"}]}`, []int64{8}},
			{"instance ID any case", `{"searchCriteria":[{"fieldName":"instanceId","stringValue":"I-053CCED65FEA28C18"}]}`, []int64{2}},
			{"host wildcard", `{"searchCriteria":[{"fieldName":"hostName","stringValue":"edge-12%"}]}`, span(120, 124)},
			{"host single char", `{"searchCriteria":[{"fieldName":"hostName","stringValue":"ips-appliance-0_"}]}`, []int64{2, 8}},
			{"wildcards off", `{"searchCriteria":[{"fieldName":"hostName","stringValue":"edge-12%","stringWildcards":false}]}`, []int64{}},
			{"TOS version", `{"searchCriteria":[{"fieldName":"tosVersion","stringValue":"2021.4.1.10996"}]}`, []int64{2}},
			{"TOS version not", `{"searchCriteria":[{"fieldName":"tosVersion","stringTest":"not-equal","stringValue":"2021.3.0.10968"}]}`, []int64{2}},
			{"provider and DV", `{"searchCriteria":[{"fieldName":"provider","stringValue":"aws"},{"fieldName":"dvVersion","stringValue":"4.1%"}]}`, []int64{100, 105, 110, 115, 120}},
			{"ID range", `{"searchCriteria":[{"idTest":"greater-than-or-equal","idValue":8},{"idTest":"less-than","idValue":103}]}`, []int64{8, 100, 101, 102}},
			{"ID field", `{"searchCriteria":[{"fieldName":"ID","idValue":2}]}`, []int64{2}},
			{"maxItems", `{"maxItems":3}`, []int64{2, 8, 100}},
			{"maxItems zero", `{"maxItems":0}`, []int64{}},
			{"nulls are unset", `{"maxItems":null,"limit":null,"cursor":null,"searchCriteria":null,"sortByObjectID":true}`, span(100, 124, 2, 8)},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := ids(search(t, c.body)); !reflect.DeepEqual(got, c.want) {
					t.Errorf("ids %v, want %v", got, c.want)
				}
			})
		}
	})

	t.Run("paging", func(t *testing.T) {
		body := `{"limit":10,"searchCriteria":[{"fieldName":"provider","stringValue":"Azure"}]%s}`
		first := search(t, fmt.Sprintf(body, ""))
		if first.TotalCount != 20 || len(first.Appliances) != 10 || first.Next == "" {
			t.Fatalf("first page: total %d, %d appliances, next %q", first.TotalCount, len(first.Appliances), first.Next)
		}
		// An appliance added between pages, before the cursor, must not
		// shift the next page.
		if err := env.Server.Appliances.Add(context.Background(), appliances.Appliance{ID: 50, InstanceID: "i-late", Provider: "Azure", Version: oldVersion}); err != nil {
			t.Fatal(err)
		}
		var got []int64
		got = append(got, ids(first)...)
		next := first.Next
		for range 5 {
			p := search(t, fmt.Sprintf(body, fmt.Sprintf(`,"cursor":%q`, next)))
			got = append(got, ids(p)...)
			if next = p.Next; next == "" {
				break
			}
		}
		want := []int64{}
		for i := int64(100); i < 125; i++ {
			if i%5 != 0 {
				want = append(want, i)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("paged ids %v, want %v", got, want)
		}
		if p := search(t, `{"limit":2,"maxItems":1}`); len(p.Appliances) != 1 {
			t.Errorf("limit above maxItems: %d appliances, want 1", len(p.Appliances))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, body := range []string{
			`{`, `[]`, `{"limit":0}`, `{"limit":5001}`, `{"limit":"10"}`, `{"limit":1.5}`, `{"cursor":5}`, `{"cursor":"abc"}`,
			`{"cursor":"-1"}`, `{"pageSize":3}`, `{"searchCriteria":[{"fieldName":"name","stringValue":"x"}]}`,
			`{"searchCriteria":[{"fieldName":"hostName","numericValue":3}]}`, `{"searchCriteria":{}}`,
		} {
			t.Run(body, func(t *testing.T) {
				wantMessage(t, call(t, env, http.MethodPost, "/api/appliances/search", body, env.APISecret), http.StatusBadRequest)
			})
		}
		wantMessage(t, env.WS(http.MethodPost, "/api/appliances/search", `{}`, "Authorization", "ApiKey nope"), http.StatusUnauthorized)
		wantMessage(t, env.WS(http.MethodPost, "/api/appliances/search", `{}`, "Authorization", "ApiKey "+env.APISecret, "api-version", ""), http.StatusBadRequest)
	})

	t.Run("read-only key may search", func(t *testing.T) {
		if r := call(t, env, http.MethodPost, "/api/appliances/search", `{"maxItems":1}`, auditorKey(t, env)); r.Status != http.StatusOK {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
}
