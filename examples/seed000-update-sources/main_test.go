package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/rampart-sec/rampart/examples/internal/exampletest"
	"github.com/rampart-sec/rampart/internal/server/servertest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t)
	var out bytes.Buffer
	if err := run(context.Background(), exampletest.Config(env), params{}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"ServerGUID: 026332F39EBC-41C19604-02DD-2C5F-EDE5\n",
		"AgentIPv4_FromIP: 10.1.1.2\n",
		"AgentIPv4_ToIP: 100.1.1.10\n",
		"OUS_URL: http://10.1.1.1:21112/activeupdate\n",
		`"host_name": "OSCESERVER"`,
		`"cmd_deploy_update_sources"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// A server without the capability: success, with the tutorial's note.
	out.Reset()
	err := run(context.Background(), exampletest.Config(env), params{server: "11111111-1111-AAAA-AAAA-111100000002"}, &out)
	if err != nil || !strings.Contains(out.String(), "cannot deploy update sources") {
		t.Errorf("ApexOne02: %v\n%s", err, out.String())
	}
}
