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
	if err := run(context.Background(), exampletest.Config(env), params{folder: `\NewDomain\NewFolder`}, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"ServerGUID: 026332F39EBC-41C19604-02DD-2C5F-EDE5\n",
		"host_name_retrieved: client01\n",
		`"managing_server_id": "026332F39EBC-41C19604-02DD-2C5F-EDE5"`,
		`"folder_path": "\\NewDomain\\NewFolder"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	// An agent that cannot be relocated: success, with the tutorial's note.
	out.Reset()
	err := run(context.Background(), exampletest.Config(env), params{host: "host8", folder: "x"}, &out)
	if err != nil || !strings.Contains(out.String(), "cannot be relocated") {
		t.Errorf("host8: %v\n%s", err, out.String())
	}
}
