package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/rampart-sec/rampart/examples/internal/exampletest"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	cfg := exampletest.Config(env)
	cfg.Options.Sleep = exampletest.MigrationSleeper(t, env)
	p := params{appliance: 8, action: "auto", interval: time.Second, timeout: time.Minute}
	cases := []struct {
		name   string
		before func(t *testing.T)
		fail   bool
		want   []string
	}{
		{"upgrade, as the tutorial", nil, false, []string{
			`"instanceId": "i-053cced65fea28c18"`, `"instanceId": "i-0e7b568dd0f88d0c1"`,
			`"state": "outOfDate"`, `"rollback": null`, "upgrade of appliance 8 started\n",
			`"message": "verifying package"`, `"message": "installing package"`, "upgrade of appliance 8: success (installation complete)\n"}},
		{"then a rollback", nil, false, []string{`"state": "upToDate"`, `"upgrade": null`, "rollback of appliance 8 started\n",
			`"message": "rollback software"`, "rollback of appliance 8: success (rollback complete)\n"}},
		{"a failed upgrade", func(t *testing.T) {
			if err := env.Server.Appliances.InjectFailure(context.Background(), 8, 3, "package signature verification failed"); err != nil {
				t.Fatal(err)
			}
		}, true, []string{`"result": "fail"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before(t)
			}
			var out bytes.Buffer
			err := run(context.Background(), cfg, p, &out)
			if tc.fail != (err != nil) {
				t.Fatalf("run: %v, want failure %v\n%s", err, tc.fail, out.String())
			}
			if tc.fail && !strings.Contains(err.Error(), "package signature verification failed") {
				t.Errorf("the error does not say why: %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
