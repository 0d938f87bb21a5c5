package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// progress shows long work on standard error: on a terminal one live
// status line, redrawn in place with a spinner and the time taken; else
// plain lines, one each time the status changes, for logs.
type progress struct {
	w     io.Writer
	tty   bool
	now   func() time.Time
	start time.Time
	last  string
	spin  int
	drawn bool
}

func newProgress(w io.Writer, sys system) *progress {
	return &progress{w: w, tty: sys.IsTerminal(w), now: sys.Now, start: sys.Now()}
}

var spinner = []string{"|", "/", "-", `\`}

// set shows status.
func (p *progress) set(status string) {
	if !p.tty {
		if status != p.last {
			fmt.Fprintln(p.w, status)
		}
		p.last = status
		return
	}
	line := fmt.Sprintf("%s %s (%s)", spinner[p.spin%len(spinner)], status, p.now().Sub(p.start).Round(time.Second))
	p.spin++
	if width := termWidth(p.w); width > 1 && len([]rune(line)) >= width {
		line = string([]rune(line)[:width-2]) + "…"
	}
	fmt.Fprint(p.w, "\r\033[K"+line)
	p.last, p.drawn = status, true
}

// done ends the status line, leaving the last status on a terminal.
func (p *progress) done() {
	if p.tty && p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

// termWidth is the width of w when it is a terminal, else 0.
func termWidth(w io.Writer) int {
	f, ok := w.(*os.File)
	if !ok {
		return 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil {
		return 0
	}
	return width
}

// bar draws step of total as a bar ("[###---]"); no bar when total is not
// known.
func bar(step, total int) string {
	if total <= 0 {
		return ""
	}
	step = min(max(step, 0), total)
	const width = 12
	full := step * width / total
	return "[" + strings.Repeat("#", full) + strings.Repeat("-", width-full) + "] "
}
