package exampleconfig

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

// Main loads cfg, runs fn with a context that Ctrl-C cancels, and exits:
// 0 on success, 1 with the error on standard error otherwise.
func Main(cfg *Config, fn func(ctx context.Context) error) {
	if err := cfg.Load(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := fn(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
