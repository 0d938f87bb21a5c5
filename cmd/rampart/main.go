// Command rampart is the Rampart server and its command-line client.
package main

import (
	"context"
	"os"

	"github.com/rampart-sec/rampart/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
