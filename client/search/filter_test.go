package search_test

import (
	"encoding/json"
	"testing"

	"github.com/rampart-sec/rampart/client/search"
)

// TestWire checks that each helper sends exactly its test's keys: the
// server refuses unknown keys and mixed test families.
func TestWire(t *testing.T) {
	t.Parallel()
	first, last := int64(1000), int64(2000)
	cases := []struct {
		name string
		f    search.Filter
		want string
	}{
		{"empty", search.Filter{}, `{}`},
		{"seed 003", search.Filter{SearchCriteria: []search.Criteria{search.StringEquals("name", "Auditor")}},
			`{"searchCriteria":[{"fieldName":"name","stringTest":"equal","stringValue":"Auditor"}]}`},
		{"no wildcards", search.Filter{SearchCriteria: []search.Criteria{search.StringEquals("name", "a_b").NoWildcards()}},
			`{"searchCriteria":[{"fieldName":"name","stringTest":"equal","stringValue":"a_b","stringWildcards":false}]}`},
		{"paging", search.Filter{MaxItems: 10, SortByObjectID: true, SearchCriteria: []search.Criteria{search.IDTest(search.GreaterThan, 7)}},
			`{"maxItems":10,"sortByObjectID":true,"searchCriteria":[{"idTest":"greater-than","idValue":7}]}`},
		{"number", search.Filter{SearchCriteria: []search.Criteria{search.NumberTest("roleID", search.LessThanOrEqual, 2)}},
			`{"searchCriteria":[{"fieldName":"roleID","numericTest":"less-than-or-equal","numericValue":2}]}`},
		{"boolean false is sent", search.Filter{SearchCriteria: []search.Criteria{search.BoolIs("active", false)}},
			`{"searchCriteria":[{"fieldName":"active","booleanTest":false}]}`},
		{"choice", search.Filter{SearchCriteria: []search.Criteria{search.ChoiceEquals("locale", "ja-JP")}},
			`{"searchCriteria":[{"fieldName":"locale","choiceTest":"equal","choiceValue":"ja-JP"}]}`},
		{"dates", search.Filter{SearchCriteria: []search.Criteria{search.DateBetween("created", &first, &last), search.DateBetween("created", nil, &last)}},
			`{"searchCriteria":[{"fieldName":"created","firstDateValue":1000,"lastDateValue":2000},{"fieldName":"created","lastDateValue":2000}]}`},
		{"null", search.Filter{SearchCriteria: []search.Criteria{search.IsNull("expiryDate", true)}},
			`{"searchCriteria":[{"fieldName":"expiryDate","nullTest":true}]}`},
	}
	for _, tc := range cases {
		got, err := json.Marshal(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, got, tc.want)
		}
	}
}
