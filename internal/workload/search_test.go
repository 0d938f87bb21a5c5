package workload_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/internal/server/servertest"
)

// The keys of the search fixture, by index: 0 is the demo key, created at
// t0; key i is created at t0 + i seconds. C is the custom role.
//
//	i  keyName       description      locale role active svc expiry   attempts lastSignIn
//	0  Rampart demo  Created by ...   en-US  1    T      F   -        0        set
//	1  build_01      ci pipeline      en-US  1    T      T   -        0        set
//	2  buildX01      ci pipeline      ja-JP  2    T      F   t0+1d    0        -
//	3  build01       ""               en-US  2    F      F   -        0        -
//	4  buildXX01     nightly          en-US  1    T      T   t0+2d    0        -
//	5  deploy-prod   deploy to prod   ja-JP  1    T      F   t0+3d    3        -   (timeZone Asia/Tokyo)
//	6  deploy-stage  deploy to stage  en-US  C    F      T   -        0        -
//	7  50%off        promo            en-US  2    T      F   -        0        set
//	8  50-50off      promo            ja-JP  2    T      F   t0+1d    0        -
//	9  audit_reader  reads audit      en-US  2    T      T   -        0        -
//	10 auditXreader  ""               ja-JP  C    T      F   t0+10d   0        -
//	11 monitor       metrics          en-US  1    F      F   -        1        -
//	12 Monitor2      metrics          en-US  2    T      F   t0+5d    0        -
const fixtureSize = 13

type fixtureKey struct {
	name, description, locale string
	role                      int64 // 0: the custom role
	active, service           bool
	expiryDays                int // 0: none
	timeZone                  string
	failures                  int
	signIn                    bool
}

var fixtureKeys = []fixtureKey{
	1:  {name: "build_01", description: "ci pipeline", locale: "en-US", role: 1, active: true, service: true, signIn: true},
	2:  {name: "buildX01", description: "ci pipeline", locale: "ja-JP", role: 2, active: true, expiryDays: 1},
	3:  {name: "build01", locale: "en-US", role: 2},
	4:  {name: "buildXX01", description: "nightly", locale: "en-US", role: 1, active: true, service: true, expiryDays: 2},
	5:  {name: "deploy-prod", description: "deploy to prod", locale: "ja-JP", role: 1, active: true, expiryDays: 3, timeZone: "Asia/Tokyo", failures: 3},
	6:  {name: "deploy-stage", description: "deploy to stage", locale: "en-US", role: 0, service: true},
	7:  {name: "50%off", description: "promo", locale: "en-US", role: 2, active: true, signIn: true},
	8:  {name: "50-50off", description: "promo", locale: "ja-JP", role: 2, active: true, expiryDays: 1},
	9:  {name: "audit_reader", description: "reads audit", locale: "en-US", role: 2, active: true, service: true},
	10: {name: "auditXreader", locale: "ja-JP", role: 0, active: true, expiryDays: 10},
	11: {name: "monitor", description: "metrics", locale: "en-US", role: 1, failures: 1},
	12: {name: "Monitor2", description: "metrics", locale: "en-US", role: 2, active: true, expiryDays: 5},
}

// searchFixture is a server holding the fixture keys.
type searchFixture struct {
	env    *servertest.Env
	t0     time.Time
	ids    [fixtureSize]int64
	names  [fixtureSize]string
	custom int64
}

func (f *searchFixture) created(i int) int64 { return ms(f.t0.Add(time.Duration(i) * time.Second)) }
func (f *searchFixture) expiry(days int) int64 {
	return ms(f.t0.Add(time.Duration(days) * 24 * time.Hour))
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	env := servertest.Start(t)
	f := &searchFixture{env: env, t0: env.Clock.Now()}
	f.custom = createRole(t, env, env.APISecret, `{"name": "searchers", "description": "custom"}`).ID
	f.ids[0], f.names[0] = 1, "Rampart demo"
	secrets := make([]string, fixtureSize)
	for i := 1; i < fixtureSize; i++ {
		k := fixtureKeys[i]
		env.Clock.Advance(time.Second)
		role := k.role
		if role == 0 {
			role = f.custom
		}
		body := fmt.Sprintf(`{"keyName": %s, "description": %s, "locale": %q, "roleID": %d, "active": %t, "serviceAccount": %t`,
			jsonString(k.name), jsonString(k.description), k.locale, role, k.active, k.service)
		if k.expiryDays > 0 {
			body += fmt.Sprintf(`, "expiryDate": %d`, f.expiry(k.expiryDays))
		}
		if k.timeZone != "" {
			body += fmt.Sprintf(`, "timeZone": %q`, k.timeZone)
		}
		created := createKey(t, env, env.APISecret, body+"}")
		if *created.Created != f.created(i) {
			t.Fatalf("key %d created at %d, want %d", i, *created.Created, f.created(i))
		}
		f.ids[i], f.names[i], secrets[i] = created.ID, k.name, created.SecretKey
	}
	for i := 1; i < fixtureSize; i++ {
		k := fixtureKeys[i]
		for range k.failures {
			wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(wrongSecret(f.ids[i]))...), http.StatusUnauthorized)
		}
		if k.signIn {
			wantStatus(t, send(t, env, "GET", "/api/apikeys/current", "", withKey(secrets[i])...), http.StatusOK)
		}
	}
	if got := len(listKeys(t, env, env.APISecret)); got != fixtureSize {
		t.Fatalf("fixture has %d keys, want %d", got, fixtureSize)
	}
	return f
}

// pick returns the names of the keys at indexes, in index (and so ID) order.
func (f *searchFixture) pick(indexes ...int) []string {
	slices.Sort(indexes)
	out := []string{}
	for _, i := range indexes {
		out = append(out, f.names[i])
	}
	return out
}

// except returns the names of every key but those at indexes.
func (f *searchFixture) except(indexes ...int) []string {
	var keep []int
	for i := range fixtureSize {
		if !slices.Contains(indexes, i) {
			keep = append(keep, i)
		}
	}
	return f.pick(keep...)
}

func (f *searchFixture) all() []string { return f.except() }

// search runs body against /api/apikeys/search and returns the names, in
// the order answered.
func (f *searchFixture) search(t *testing.T, body string) []string {
	t.Helper()
	r := send(t, f.env, "POST", "/api/apikeys/search", body, withKey(f.env.APISecret)...)
	wantStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.Body), "secretKey") {
		t.Errorf("search answers secrets: %s", r.Body)
	}
	var l keyList
	r.into(t, &l)
	out := []string{}
	for _, k := range l.APIKeys {
		out = append(out, k.KeyName)
	}
	return out
}

// crit wraps criteria into a SearchFilter body.
func crit(criteria ...string) string {
	return `{"searchCriteria": [` + strings.Join(criteria, ", ") + `]}`
}

// TestSearch checks SearchFilter on keys and roles, on one server: the
// fixture first, then the parts that add to it.
func TestSearch(t *testing.T) {
	t.Parallel()
	f := newSearchFixture(t)
	t.Run("API keys", func(t *testing.T) { testSearchAPIKeys(t, f) })
	t.Run("refused", func(t *testing.T) { testSearchRefused(t, f.env) })
	t.Run("roles", func(t *testing.T) { testSearchRoles(t, f) })
	t.Run("paging", func(t *testing.T) { testSearchPaging(t, f.env) })
}

// testSearchAPIKeys runs every test family against the fixture.
func testSearchAPIKeys(t *testing.T, f *searchFixture) {
	str := func(field, test, value string, wildcards *bool) string {
		s := fmt.Sprintf(`{"fieldName": %q, "stringValue": %s`, field, jsonString(value))
		if test != "" {
			s += fmt.Sprintf(`, "stringTest": %q`, test)
		}
		if wildcards != nil {
			s += fmt.Sprintf(`, "stringWildcards": %t`, *wildcards)
		}
		return s + "}"
	}
	on, off := ptr(true), ptr(false)
	num := func(field, test string, value float64) string {
		return fmt.Sprintf(`{"fieldName": %q, "numericTest": %q, "numericValue": %v}`, field, test, value)
	}
	boolean := func(field string, v bool) string {
		return fmt.Sprintf(`{"fieldName": %q, "booleanTest": %t}`, field, v)
	}
	choice := func(test, value string) string {
		return fmt.Sprintf(`{"fieldName": "locale", "choiceTest": %q, "choiceValue": %q}`, test, value)
	}
	date := func(field string, first, last *int64, firstIncl, lastIncl *bool) string {
		parts := []string{fmt.Sprintf(`"fieldName": %q`, field)}
		if first != nil {
			parts = append(parts, fmt.Sprintf(`"firstDateValue": %d`, *first))
		}
		if last != nil {
			parts = append(parts, fmt.Sprintf(`"lastDateValue": %d`, *last))
		}
		if firstIncl != nil {
			parts = append(parts, fmt.Sprintf(`"firstDateInclusive": %t`, *firstIncl))
		}
		if lastIncl != nil {
			parts = append(parts, fmt.Sprintf(`"lastDateInclusive": %t`, *lastIncl))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	null := func(field string, v bool) string { return fmt.Sprintf(`{"fieldName": %q, "nullTest": %t}`, field, v) }
	c := func(i int) *int64 { return ptr(f.created(i)) }
	e := func(days int) *int64 { return ptr(f.expiry(days)) }
	role1, role2, roleC := []int{0, 1, 4, 5, 11}, []int{2, 3, 7, 8, 9, 12}, []int{6, 10}
	cat := func(lists ...[]int) []int { return slices.Concat(lists...) }

	type searchCase struct {
		name string
		body string
		want []string
	}
	tests := []searchCase{
		{"no body", ``, f.all()},
		{"empty filter", `{}`, f.all()},
		{"no criteria", `{"searchCriteria": []}`, f.all()},

		// Strings; wildcards are on unless turned off.
		{"string _ matches one character", crit(str("keyName", "equal", "build_01", nil)), f.pick(1, 2)},
		{"string _ wildcards on", crit(str("keyName", "equal", "build_01", on)), f.pick(1, 2)},
		{"string _ wildcards off", crit(str("keyName", "equal", "build_01", off)), f.pick(1)},
		{"string default test is equal", crit(str("keyName", "", "build_01", off)), f.pick(1)},
		{"string not-equal wildcards on", crit(str("keyName", "not-equal", "build_01", nil)), f.except(1, 2)},
		{"string not-equal wildcards off", crit(str("keyName", "not-equal", "build_01", off)), f.except(1)},
		{"string % prefix", crit(str("keyName", "equal", "build%", nil)), f.pick(1, 2, 3, 4)},
		{"string % literal when off", crit(str("keyName", "equal", "build%", off)), f.pick()},
		{"string % in name wildcards on", crit(str("keyName", "equal", "50%off", nil)), f.pick(7, 8)},
		{"string % in name wildcards off", crit(str("keyName", "equal", "50%off", off)), f.pick(7)},
		{"string not-equal % wildcards on", crit(str("keyName", "not-equal", "50%off", nil)), f.except(7, 8)},
		{"string four _", crit(str("keyName", "equal", "deploy-____", nil)), f.pick(5)},
		{"string five _", crit(str("keyName", "equal", "deploy-_____", nil)), f.pick(6)},
		{"string % suffix", crit(str("keyName", "equal", "%reader", nil)), f.pick(9, 10)},
		{"string _ in name wildcards off", crit(str("keyName", "equal", "audit_reader", off)), f.pick(9)},
		{"string _ in name wildcards on", crit(str("keyName", "equal", "audit_reader", nil)), f.pick(9, 10)},
		{"string % alone", crit(str("keyName", "equal", "%", nil)), f.all()},
		{"string _ alone", crit(str("keyName", "equal", "_", nil)), f.pick()},
		{"string exact", crit(str("keyName", "equal", "monitor", nil)), f.pick(11)},
		{"string no match", crit(str("keyName", "equal", "nothing", nil)), f.pick()},
		{"description", crit(str("description", "equal", "promo", nil)), f.pick(7, 8)},
		{"description %", crit(str("description", "equal", "ci%", nil)), f.pick(1, 2)},
		{"description not-equal", crit(str("description", "not-equal", "metrics", nil)), f.except(11, 12)},
		{"description empty", crit(str("description", "equal", "", off)), f.pick(3, 10)},
		{"timeZone", crit(str("timeZone", "equal", "Asia/%", nil)), f.pick(5)},

		// Numbers.
		{"roleID equal", crit(num("roleID", "equal", 2)), f.pick(role2...)},
		{"roleID not-equal", crit(num("roleID", "not-equal", 1)), f.pick(cat(role2, roleC)...)},
		{"roleID less-than", crit(num("roleID", "less-than", 2)), f.pick(role1...)},
		{"roleID less-than-or-equal", crit(num("roleID", "less-than-or-equal", 2)), f.pick(cat(role1, role2)...)},
		{"roleID greater-than-or-equal", crit(num("roleID", "greater-than-or-equal", 2)), f.pick(cat(role2, roleC)...)},
		{"roleID greater-than", crit(num("roleID", "greater-than", 2)), f.pick(roleC...)},
		{"roleID fraction", crit(num("roleID", "less-than", 1.5)), f.pick(role1...)},
		{"attempts equal", crit(num("unsuccessfulSignInAttempts", "equal", 0)), f.except(5, 11)},
		{"attempts equal 1", crit(num("unsuccessfulSignInAttempts", "equal", 1)), f.pick(11)},
		{"attempts not-equal", crit(num("unsuccessfulSignInAttempts", "not-equal", 0)), f.pick(5, 11)},
		{"attempts less-than", crit(num("unsuccessfulSignInAttempts", "less-than", 3)), f.except(5)},
		{"attempts less-than-or-equal", crit(num("unsuccessfulSignInAttempts", "less-than-or-equal", 1)), f.except(5)},
		{"attempts greater-than-or-equal", crit(num("unsuccessfulSignInAttempts", "greater-than-or-equal", 3)), f.pick(5)},
		{"attempts greater-than", crit(num("unsuccessfulSignInAttempts", "greater-than", 0)), f.pick(5, 11)},
		{"attempts fraction", crit(num("unsuccessfulSignInAttempts", "less-than", 2.5)), f.except(5)},

		// Booleans: booleanTest is the value.
		{"active true", crit(boolean("active", true)), f.except(3, 6, 11)},
		{"active false", crit(boolean("active", false)), f.pick(3, 6, 11)},
		{"serviceAccount true", crit(boolean("serviceAccount", true)), f.pick(1, 4, 6, 9)},
		{"serviceAccount false", crit(boolean("serviceAccount", false)), f.except(1, 4, 6, 9)},

		// Choices.
		{"locale equal ja-JP", crit(choice("equal", "ja-JP")), f.pick(2, 5, 8, 10)},
		{"locale not-equal ja-JP", crit(choice("not-equal", "ja-JP")), f.except(2, 5, 8, 10)},
		{"locale equal en-US", crit(choice("equal", "en-US")), f.except(2, 5, 8, 10)},
		{"locale not-equal en-US", crit(choice("not-equal", "en-US")), f.pick(2, 5, 8, 10)},
		{"locale default test", crit(`{"fieldName": "locale", "choiceValue": "ja-JP"}`), f.pick(2, 5, 8, 10)},

		// Dates: both bounds inclusive unless said otherwise.
		{"created range", crit(date("created", c(3), c(5), nil, nil)), f.pick(3, 4, 5)},
		{"created range inclusive", crit(date("created", c(3), c(5), on, on)), f.pick(3, 4, 5)},
		{"created range exclusive", crit(date("created", c(3), c(5), off, off)), f.pick(4)},
		{"created first exclusive", crit(date("created", c(3), c(5), off, nil)), f.pick(4, 5)},
		{"created last exclusive", crit(date("created", c(3), c(5), nil, off)), f.pick(3, 4)},
		{"created one instant", crit(date("created", c(3), c(3), nil, nil)), f.pick(3)},
		{"created one instant exclusive", crit(date("created", c(3), c(3), off, nil)), f.pick()},
		{"created from", crit(date("created", c(10), nil, nil, nil)), f.pick(10, 11, 12)},
		{"created after", crit(date("created", c(10), nil, off, nil)), f.pick(11, 12)},
		{"created until", crit(date("created", nil, c(1), nil, nil)), f.pick(0, 1)},
		{"created before", crit(date("created", nil, c(1), nil, off)), f.pick(0)},
		{"created between instants", crit(date("created", ptr(f.created(3)+1), ptr(f.created(5)-1), nil, nil)), f.pick(4)},
		{"expiryDate range", crit(date("expiryDate", e(1), e(3), nil, nil)), f.pick(2, 4, 5, 8)},
		{"expiryDate range last exclusive", crit(date("expiryDate", e(1), e(3), nil, off)), f.pick(2, 4, 8)},
		{"expiryDate after", crit(date("expiryDate", e(1), nil, off, nil)), f.pick(4, 5, 10, 12)},
		{"expiryDate until", crit(date("expiryDate", nil, e(2), nil, nil)), f.pick(2, 4, 8)},
		{"expiryDate from", crit(date("expiryDate", e(5), nil, nil, nil)), f.pick(10, 12)},

		// Null tests.
		{"expiryDate null", crit(null("expiryDate", true)), f.pick(0, 1, 3, 6, 7, 9, 11)},
		{"expiryDate not null", crit(null("expiryDate", false)), f.pick(2, 4, 5, 8, 10, 12)},
		{"lastSignIn null", crit(null("lastSignIn", true)), f.except(0, 1, 7)},
		{"lastSignIn not null", crit(null("lastSignIn", false)), f.pick(0, 1, 7)},
		{"unlockTime null", crit(null("unlockTime", true)), f.all()},

		// AND.
		{"and: role and locale", crit(num("roleID", "equal", 2), choice("equal", "ja-JP")), f.pick(2, 8)},
		{"and: name and active", crit(str("keyName", "equal", "build%", nil), boolean("active", false)), f.pick(3)},
		{"and: three", crit(boolean("active", true), boolean("serviceAccount", true), choice("equal", "en-US")), f.pick(1, 4, 9)},
		{"and: nothing in common", crit(boolean("active", false), boolean("active", true)), f.pick()},
		{"and: ID and role", crit(fmt.Sprintf(`{"idTest": "greater-than", "idValue": %d}`, f.ids[5]), num("roleID", "equal", 1)), f.pick(11)},
		{"and: date and null", crit(date("created", c(6), nil, nil, nil), null("expiryDate", true)), f.pick(6, 7, 9, 11)},

		// maxItems: the first ones by ID.
		{"maxItems", `{"maxItems": 3}`, f.pick(0, 1, 2)},
		{"maxItems with criteria", `{"maxItems": 2, "searchCriteria": [` + num("roleID", "equal", 2) + `]}`, f.pick(2, 3)},
		{"maxItems 1", `{"maxItems": 1, "sortByObjectID": true}`, f.pick(0)},
		{"maxItems above the total", `{"maxItems": 5000}`, f.all()},
		{"maxItems above the cap", `{"maxItems": 100000}`, f.all()},
		{"sortByObjectID", `{"sortByObjectID": true}`, f.all()},
	}

	// ID tests, every operator, with and without fieldName.
	pivot := 3
	idOps := []struct {
		op   string
		want []string
	}{
		{"equal", f.pick(3)},
		{"not-equal", f.except(3)},
		{"less-than", f.pick(0, 1, 2)},
		{"less-than-or-equal", f.pick(0, 1, 2, 3)},
		{"greater-than-or-equal", f.pick(3, 4, 5, 6, 7, 8, 9, 10, 11, 12)},
		{"greater-than", f.pick(4, 5, 6, 7, 8, 9, 10, 11, 12)},
	}
	for _, o := range idOps {
		tests = append(tests,
			searchCase{"id " + o.op, crit(fmt.Sprintf(`{"idTest": %q, "idValue": %d}`, o.op, f.ids[pivot])), o.want},
			searchCase{"id " + o.op + " with fieldName",
				crit(fmt.Sprintf(`{"fieldName": "ID", "idTest": %q, "idValue": %d}`, o.op, f.ids[pivot])), o.want})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := f.search(t, tt.body); !slices.Equal(got, tt.want) {
				t.Errorf("search %s\ngot  %q\nwant %q", tt.body, got, tt.want)
			}
		})
	}
}

// testSearchRefused checks that bad filters are refused with 400 and a
// message that names what is wrong.
func testSearchRefused(t *testing.T, env *servertest.Env) {
	tests := []struct {
		name, path, body string
		mention          string // the message must contain it
	}{
		{"unknown field", "/api/apikeys/search", crit(`{"fieldName": "bogusField", "stringValue": "x"}`), "bogusField"},
		{"field in the wrong case", "/api/apikeys/search", crit(`{"fieldName": "keyname", "stringValue": "x"}`), "keyname"},
		{"secretKey is not searchable", "/api/apikeys/search", crit(`{"fieldName": "secretKey", "stringValue": "x"}`), "secretKey"},
		{"role field on keys", "/api/apikeys/search", crit(`{"fieldName": "immutable", "booleanTest": true}`), "immutable"},
		{"key field on roles", "/api/roles/search", crit(`{"fieldName": "keyName", "stringValue": "x"}`), "keyName"},
		{"unknown stringTest", "/api/apikeys/search", crit(`{"fieldName": "keyName", "stringTest": "equals", "stringValue": "x"}`), "equals"},
		{"unknown numericTest", "/api/apikeys/search", crit(`{"fieldName": "roleID", "numericTest": "gt", "numericValue": 1}`), "gt"},
		{"unknown idTest", "/api/apikeys/search", crit(`{"idTest": "bigger", "idValue": 1}`), "bigger"},
		{"unknown choiceTest", "/api/apikeys/search", crit(`{"fieldName": "locale", "choiceTest": "like", "choiceValue": "en-US"}`), "like"},
		{"string test on a number", "/api/apikeys/search", crit(`{"fieldName": "roleID", "stringValue": "2"}`), "roleID"},
		{"numeric test on a string", "/api/apikeys/search", crit(`{"fieldName": "keyName", "numericTest": "equal", "numericValue": 2}`), "keyName"},
		{"choice not offered", "/api/apikeys/search", crit(`{"fieldName": "locale", "choiceValue": "fr-FR"}`), "fr-FR"},
		{"no fieldName", "/api/apikeys/search", crit(`{"stringValue": "x"}`), "fieldName"},
		{"unknown role field", "/api/roles/search", crit(`{"fieldName": "Name", "stringValue": "Auditor"}`), "Name"},
		{"not JSON", "/api/apikeys/search", `{"searchCriteria": [`, ""},
		{"negative maxItems", "/api/apikeys/search", `{"maxItems": -1}`, "maxItems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, "POST", tt.path, tt.body, withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusBadRequest)
			msg, _ := r.object(t)["message"].(string)
			if !strings.Contains(msg, tt.mention) {
				t.Errorf("message %q does not mention %q", msg, tt.mention)
			}
		})
	}
}

// testSearchRoles checks POST /api/roles/search, as the vendor's SDK
// example uses it: search by name, take roles[0].ID. The fixture's role
// (f.custom, "searchers") is there too.
func testSearchRoles(t *testing.T, f *searchFixture) {
	env := f.env
	custom := createRole(t, env, env.APISecret, `{"name": "Auditor_2", "description": "not the built-in one"}`)
	tests := []struct {
		name, body string
		want       []int64
	}{
		{"name Auditor", crit(`{"fieldName": "name", "stringTest": "equal", "stringValue": "Auditor"}`), []int64{2}},
		{"name Full Access", crit(`{"fieldName": "name", "stringValue": "Full Access"}`), []int64{1}},
		{"name with _ wildcard", crit(`{"fieldName": "name", "stringValue": "Auditor_2"}`), []int64{custom.ID}},
		{"name Auditor%", crit(`{"fieldName": "name", "stringValue": "Auditor%"}`), []int64{2, custom.ID}},
		{"name not-equal", crit(`{"fieldName": "name", "stringTest": "not-equal", "stringValue": "Auditor"}`), []int64{1, f.custom, custom.ID}},
		{"description", crit(`{"fieldName": "description", "stringValue": "%only%"}`), []int64{2}},
		{"immutable", crit(`{"fieldName": "immutable", "booleanTest": true}`), []int64{1}},
		{"not immutable", crit(`{"fieldName": "immutable", "booleanTest": false}`), []int64{2, f.custom, custom.ID}},
		{"id", crit(`{"idTest": "equal", "idValue": 2}`), []int64{2}},
		{"id greater-than", crit(`{"fieldName": "ID", "idTest": "greater-than", "idValue": 1}`), []int64{2, f.custom, custom.ID}},
		{"everything", `{}`, []int64{1, 2, f.custom, custom.ID}},
		{"custom role by name", crit(`{"fieldName": "name", "stringValue": "searchers"}`), []int64{f.custom}},
		{"maxItems", `{"maxItems": 1}`, []int64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, env, "POST", "/api/roles/search", tt.body, withKey(env.APISecret)...)
			wantStatus(t, r, http.StatusOK)
			var l roleList
			r.into(t, &l)
			got := []int64{}
			for _, ro := range l.Roles {
				got = append(got, ro.ID)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("roles %v, want %v: %s", got, tt.want, r.Body)
			}
		})
	}
}

// testSearchPaging adds 25 keys to the fixture's 13, deletes one, and
// pages through the 37 ten at a time as clients do: sortByObjectID plus
// idTest greater-than the last ID, until an empty page.
func testSearchPaging(t *testing.T, env *servertest.Env) {
	var created []int64
	for i := range 25 {
		created = append(created, createKey(t, env, env.APISecret, fmt.Sprintf(`{"keyName": "page-%02d"}`, i)).ID)
	}
	// Delete one in the middle: paging must not depend on dense IDs.
	wantStatus(t, send(t, env, "DELETE", fmt.Sprintf("/api/apikeys/%d", created[12]), "", withKey(env.APISecret)...), http.StatusNoContent)
	var want []int64
	for _, k := range listKeys(t, env, env.APISecret) {
		want = append(want, k.ID)
	}
	if len(want) != fixtureSize+24 {
		t.Fatalf("%d keys, want %d", len(want), fixtureSize+24)
	}

	var got, sizes []int64
	last := int64(0)
	for page := 0; ; page++ {
		if page > 10 {
			t.Fatalf("no empty page after %d pages", page)
		}
		body := fmt.Sprintf(`{"maxItems": 10, "sortByObjectID": true, "searchCriteria": [{"idTest": "greater-than", "idValue": %d}]}`, last)
		r := send(t, env, "POST", "/api/apikeys/search", body, withKey(env.APISecret)...)
		wantStatus(t, r, http.StatusOK)
		var l keyList
		r.into(t, &l)
		sizes = append(sizes, int64(len(l.APIKeys)))
		if len(l.APIKeys) == 0 {
			break
		}
		for _, k := range l.APIKeys {
			got = append(got, k.ID)
		}
		last = l.APIKeys[len(l.APIKeys)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged IDs %v, want %v", got, want)
	}
	if !slices.Equal(sizes, []int64{10, 10, 10, 7, 0}) {
		t.Errorf("page sizes %v, want [10 10 10 7 0]", sizes)
	}
}
