package netsec_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"github.com/rampart-sec/rampart/internal/appliances"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// page is the answer of GET /api/appliances.
type page struct {
	TotalCount int         `json:"totalCount"`
	Next       string      `json:"next"`
	Appliances []appliance `json:"appliances"`
}

type appliance struct {
	ID         int64  `json:"ID"`
	InstanceID string `json:"instanceId"`
	TOSVersion string `json:"tosVersion"`
	DVVersion  string `json:"dvVersion"`
	Provider   string `json:"provider"`
	HostName   string `json:"hostName"`
}

func ids(p page) []int64 {
	out := []int64{}
	for _, a := range p.Appliances {
		out = append(out, a.ID)
	}
	return out
}

// testListAppliancesAsTheSeedReadsThem reads `.appliances[] | {ID,
// instanceId}` from the raw JSON, so the key spellings are checked too
// (encoding/json would match "id" to ID).
func testListAppliancesAsTheSeedReadsThem(t *testing.T, env *servertest.Env) {
	r := get(t, env, "/api/appliances")
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	var raw struct {
		TotalCount *int             `json:"totalCount"`
		Next       *string          `json:"next"`
		Appliances []map[string]any `json:"appliances"`
	}
	if err := json.Unmarshal(r.Body, &raw); err != nil {
		t.Fatalf("decoding %s: %v", r.Body, err)
	}
	type pick struct {
		ID         any
		InstanceID any
	}
	var got []pick
	for _, a := range raw.Appliances {
		got = append(got, pick{a["ID"], a["instanceId"]})
	}
	want := []pick{{float64(2), "i-053cced65fea28c18"}, {float64(8), "i-0e7b568dd0f88d0c1"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf(".appliances[] | {ID, instanceId} = %v, want %v (body %s)", got, want, r.Body)
	}
	if raw.TotalCount == nil || *raw.TotalCount != 2 {
		t.Errorf("totalCount missing or not 2: %s", r.Body)
	}
	if raw.Next == nil || *raw.Next != "" {
		t.Errorf(`next missing or not "": %s`, r.Body)
	}
	var p page
	into(t, r, http.StatusOK, &p)
	wantEight := appliance{ID: 8, InstanceID: "i-0e7b568dd0f88d0c1", TOSVersion: oldVersion, DVVersion: "4.0.0.9170", Provider: "AWS", HostName: "ips-appliance-08"}
	if len(p.Appliances) != 2 || p.Appliances[1] != wantEight {
		t.Errorf("appliances = %+v, want 8 as %+v", p.Appliances, wantEight)
	}
	if p.Appliances[0].TOSVersion != newVersion {
		t.Errorf("appliance 2 runs %q, want %q", p.Appliances[0].TOSVersion, newVersion)
	}
}

func testListAppliancesPagingQueryAndSort(t *testing.T, env *servertest.Env) {
	list := func(t *testing.T, query string) page {
		t.Helper()
		var p page
		into(t, get(t, env, "/api/appliances"+query), http.StatusOK, &p)
		if p.Appliances == nil {
			t.Fatalf("GET /api/appliances%s: appliances is null", query)
		}
		return p
	}

	t.Run("limit and cursor", func(t *testing.T) {
		first := list(t, "?limit=1")
		if got := ids(first); !reflect.DeepEqual(got, []int64{2}) || first.Next != "1" || first.TotalCount != 2 {
			t.Fatalf("limit=1: ids %v next %q total %d, want [2] \"1\" 2", got, first.Next, first.TotalCount)
		}
		second := list(t, "?limit=1&cursor="+first.Next)
		if got := ids(second); !reflect.DeepEqual(got, []int64{8}) || second.Next != "" || second.TotalCount != 2 {
			t.Fatalf("second page: ids %v next %q total %d, want [8] \"\" 2", got, second.Next, second.TotalCount)
		}
		beyond := list(t, "?cursor=5")
		if len(beyond.Appliances) != 0 || beyond.Next != "" || beyond.TotalCount != 2 {
			t.Errorf("cursor past the end: %+v", beyond)
		}
		explicit := list(t, "?cursor=&limit=10")
		if got := ids(explicit); !reflect.DeepEqual(got, []int64{2, 8}) || explicit.Next != "" {
			t.Errorf(`cursor="" limit=10: ids %v next %q`, got, explicit.Next)
		}
	})

	t.Run("query", func(t *testing.T) {
		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"0e7b568", []int64{8}},        // instance ID
			{"I-053CCED", []int64{2}},      // case-insensitive
			{"2021.3.0", []int64{8}},       // TOS version
			{"2021.4.1.10996", []int64{2}}, // TOS version
			{"aws", []int64{2, 8}},         // provider
			{"4.0.0.9170", []int64{2, 8}},  // DV version
			{"ips-appliance-02", []int64{2}},
			{"nothing-like-this", []int64{}},
		} {
			p := list(t, "?query="+c.query)
			if got := ids(p); !reflect.DeepEqual(got, c.want) || p.TotalCount != len(c.want) || p.Next != "" {
				t.Errorf("query=%s: ids %v total %d next %q, want %v", c.query, got, p.TotalCount, p.Next, c.want)
			}
		}
		p := list(t, "?query=aws&limit=1")
		if got := ids(p); !reflect.DeepEqual(got, []int64{2}) || p.TotalCount != 2 || p.Next != "1" {
			t.Errorf("query=aws&limit=1: ids %v total %d next %q", got, p.TotalCount, p.Next)
		}
	})

	t.Run("sort", func(t *testing.T) {
		for _, c := range []struct {
			query string
			want  []int64
		}{
			{"?sortBy=ID", []int64{2, 8}},
			{"?sortBy=ID&sortDirection=asc", []int64{2, 8}},
			{"?sortBy=ID&sortDirection=desc", []int64{8, 2}},
			{"?sortDirection=desc", []int64{8, 2}},
			{"?sortBy=instanceId", []int64{2, 8}},
			{"?sortBy=instanceId&sortDirection=desc", []int64{8, 2}},
			{"?sortBy=tosVersion", []int64{8, 2}},
			{"?sortBy=tosVersion&sortDirection=desc", []int64{2, 8}},
			{"?sortBy=hostName&sortDirection=desc", []int64{8, 2}},
			{"?sortBy=dvVersion", []int64{2, 8}}, // equal keys keep ID order
			{"?sortBy=provider", []int64{2, 8}},
			{"?sortBy=ID&sortDirection=desc&limit=1", []int64{8}},
			{"?sortBy=ID&sortDirection=desc&limit=1&cursor=1", []int64{2}},
		} {
			if got := ids(list(t, c.query)); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: ids %v, want %v", c.query, got, c.want)
			}
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, q := range []string{"limit=0", "limit=-1", "limit=abc", "limit=1001", "limit=1.5", "cursor=abc", "cursor=-1",
			"sortBy=name", "sortDirection=up"} {
			wantMessage(t, get(t, env, "/api/appliances?"+q), http.StatusBadRequest)
		}
	})
}

// TestReadOnlyCalls runs the calls that change nothing (but creating an
// Auditor key) against one server.
func TestReadOnlyCalls(t *testing.T) {
	t.Parallel()
	env := start(t)
	for _, c := range []struct {
		name string
		test func(*testing.T, *servertest.Env)
	}{
		{"ListAppliancesAsTheSeedReadsThem", testListAppliancesAsTheSeedReadsThem},
		{"ListAppliancesPagingQueryAndSort", testListAppliancesPagingQueryAndSort},
		{"DescribeAppliance", testDescribeAppliance},
		{"Authentication", testAuthentication},
		{"MigrationVersions", testMigrationVersions},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, env) })
	}
}

// TestListAppliancesFirstPage: the vendor's sample script reads only the
// first page (default limit 10), and must still see the seed's appliances
// when there are more.
func TestListAppliancesFirstPage(t *testing.T) {
	t.Parallel()
	env := start(t)
	for i := int64(100); i < 112; i++ {
		err := env.Server.Appliances.Add(context.Background(), appliances.Appliance{ID: i, InstanceID: fmt.Sprintf("i-%017d", i),
			HostName: fmt.Sprintf("extra-%d", i), Provider: "Azure", Version: oldVersion})
		if err != nil {
			t.Fatalf("adding appliance %d: %v", i, err)
		}
	}
	var p page
	into(t, get(t, env, "/api/appliances"), http.StatusOK, &p)
	if p.TotalCount != 14 || len(p.Appliances) != 10 || p.Next != "10" {
		t.Fatalf("first page: total %d, %d appliances, next %q; want 14, 10, \"10\"", p.TotalCount, len(p.Appliances), p.Next)
	}
	if got := ids(p)[:2]; !reflect.DeepEqual(got, []int64{2, 8}) {
		t.Errorf("first page starts with %v, want the seed's [2 8]", got)
	}
	var rest page
	into(t, get(t, env, "/api/appliances?cursor="+p.Next), http.StatusOK, &rest)
	if len(rest.Appliances) != 4 || rest.Next != "" || rest.Appliances[3].ID != 111 {
		t.Errorf("second page: %v next %q, want 108..111 and \"\"", ids(rest), rest.Next)
	}
	var az page
	into(t, get(t, env, "/api/appliances?query=azure&limit=100"), http.StatusOK, &az)
	if az.TotalCount != 12 || len(az.Appliances) != 12 {
		t.Errorf("query=azure: total %d, %d appliances; want 12", az.TotalCount, len(az.Appliances))
	}
}

func testDescribeAppliance(t *testing.T, env *servertest.Env) {
	var a appliance
	into(t, get(t, env, "/api/appliances/8"), http.StatusOK, &a)
	want := appliance{ID: 8, InstanceID: "i-0e7b568dd0f88d0c1", TOSVersion: oldVersion, DVVersion: "4.0.0.9170", Provider: "AWS", HostName: "ips-appliance-08"}
	if a != want {
		t.Errorf("appliance 8 = %+v, want %+v", a, want)
	}
	into(t, get(t, env, "/api/appliances/2"), http.StatusOK, &a)
	if a.ID != 2 || a.InstanceID != "i-053cced65fea28c18" || a.TOSVersion != newVersion {
		t.Errorf("appliance 2 = %+v", a)
	}
	for _, path := range []string{"/api/appliances/99", "/api/appliances/0", "/api/appliances/abc"} {
		if msg := wantMessage(t, get(t, env, path), http.StatusNotFound); msg != "The appliance is not found." {
			t.Errorf("GET %s: message %q", path, msg)
		}
	}
}

// testAuthentication: every call of the family wants api-version: v1 and
// a valid key, and answers refusals as {"message"}.
func testAuthentication(t *testing.T, env *servertest.Env) {
	for _, path := range []string{"/api/appliances", "/api/appliances/8", "/api/migrationversions?applianceId=8", "/api/appliancemigrations"} {
		wantMessage(t, env.WS(http.MethodGet, path, "", "Authorization", "ApiKey "+env.APISecret, "api-version", ""), http.StatusBadRequest)
		wantMessage(t, env.WS(http.MethodGet, path, "", "Authorization", "ApiKey "+env.APISecret, "api-version", "v2"), http.StatusBadRequest)
		wantMessage(t, env.WS(http.MethodGet, path, "", "Authorization", "ApiKey nope"), http.StatusUnauthorized)
		wantMessage(t, env.WS(http.MethodGet, path, ""), http.StatusUnauthorized)
		if r := env.WS(http.MethodGet, path, "", "api-secret-key", env.APISecret); r.Status != http.StatusOK {
			t.Errorf("GET %s with api-secret-key: status %d: %s", path, r.Status, r.Body)
		}
		if r := env.WS(http.MethodGet, path, "", "Authorization", "apikey "+env.APISecret); r.Status != http.StatusOK {
			t.Errorf("GET %s with a lower-case scheme: status %d: %s", path, r.Status, r.Body)
		}
	}
	ro := auditorKey(t, env)
	if r := call(t, env, http.MethodGet, "/api/appliances", "", ro); r.Status != http.StatusOK {
		t.Errorf("an Auditor key lists appliances: status %d: %s", r.Status, r.Body)
	}
}
