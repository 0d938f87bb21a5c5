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
	cfg.Options.Sleep = exampletest.AgentsSleeper(t, env, "492E8584-0114-694D-BF9D-44CC20141501")
	cases := []struct {
		name string
		p    params
		want []string
	}{
		{"isolate and wait", params{isolate: true, wait: true, interval: time.Second, timeout: time.Minute}, []string{
			"host name: client01\n", `"isolation_status": "endpoint_isolation_pending"`,
			"client01: endpoint_isolation_pending\n", "client01 settled: isolation_status isolated\n"}},
		{"restore and wait, as the tutorial", params{wait: true, interval: time.Second, timeout: time.Minute}, []string{
			"host name: client01\n", `"isolation_status": "connection_restoration_pending"`,
			"client01: connection_restoration_pending\n", "client01 settled: isolation_status normal\n"}},
		{"restore without waiting", params{}, []string{"host name: client01\n", `"isolation_status": "normal"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), cfg, tc.p, &out); err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(out.String(), want) {
					t.Errorf("output lacks %q:\n%s", want, out.String())
				}
			}
		})
	}
}
