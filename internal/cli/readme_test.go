package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestREADMESeeds runs the commands of README.md's section "The seed
// tutorials with the CLI" in order, as written, against a real server, so
// that the README cannot drift from the CLI. Only what cannot run here is
// adapted: the credentials file's path, and contexts pointing at other
// servers (containing "...") are skipped. Waits are driven by the agents
// and the migration runner, never by time.
func TestREADMESeeds(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(t, string(data), "## The seed tutorials with the CLI")
	if len(cmds) < 15 {
		t.Fatalf("found %d commands in the README's CLI section", len(cmds))
	}
	c := newCLITest(t)
	pwFile := filepath.Join(c.home, "password.txt")
	if err := os.WriteFile(pwFile, []byte(c.env.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	agents, migrate := c.agentsSleeper(true, officeScanAgents...), c.migrationSleeper()
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if err := agents(ctx, d); err != nil {
			return err
		}
		return migrate(ctx, d)
	}
	ran := 0
	for _, args := range cmds {
		line := strings.Join(args, " ")
		if strings.Contains(line, "...") || args[0] == "completion" {
			continue
		}
		stdin := ""
		for i, a := range args {
			switch {
			case a == "rampart-data/credentials.json":
				args[i] = c.creds
			case a == "<" && i+1 < len(args):
				stdin = c.env.AdminPassword + "\n"
				args = args[:i]
			}
		}
		r := c.run(stdin, args...)
		if r.code != 0 {
			t.Fatalf("README: rampart %s: exit %d\n%s%s", line, r.code, r.out, r.errOut)
		}
		ran++
	}
	t.Logf("ran %d commands of the README", ran)
}

// readmeCommands returns the rampart commands of the sh blocks of the
// section that starts with heading, split into arguments as a shell would
// (quotes, line continuations, ";"), without the leading "rampart" and
// without comments.
func readmeCommands(t *testing.T, readme, heading string) [][]string {
	t.Helper()
	start := strings.Index(readme, heading)
	if start < 0 {
		t.Fatalf("README has no section %q", heading)
	}
	section := readme[start+len(heading):]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	var out [][]string
	blocks := strings.Split(section, "```")
	for i := 1; i < len(blocks); i += 2 {
		body, ok := strings.CutPrefix(blocks[i], "sh\n")
		if !ok {
			continue
		}
		body = strings.ReplaceAll(body, "\\\n", " ")
		for _, line := range strings.Split(body, "\n") {
			for _, cmd := range shellSplit(line) {
				if len(cmd) > 1 && cmd[0] == "rampart" {
					out = append(out, cmd[1:])
				}
			}
		}
	}
	return out
}

// shellSplit splits one line into commands (at ";") of words, with single
// and double quotes, stopping at a "#" comment.
func shellSplit(line string) [][]string {
	var cmds [][]string
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	flush := func() {
		if inWord {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	}
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '#' && !inWord:
			flush()
			if len(words) > 0 {
				cmds = append(cmds, words)
			}
			return cmds
		case r == ';':
			flush()
			if len(words) > 0 {
				cmds = append(cmds, words)
			}
			words = nil
		case r == ' ' || r == '\t':
			flush()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	flush()
	if len(words) > 0 {
		cmds = append(cmds, words)
	}
	return cmds
}
