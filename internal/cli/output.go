package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// outputFormat is the -o of a command that prints objects.
type outputFormat string

// The output formats: a table for people (the default), the wire objects
// as JSON or YAML for scripts.
const (
	formatTable outputFormat = "table"
	formatJSON  outputFormat = "json"
	formatYAML  outputFormat = "yaml"
)

var formats = []string{string(formatTable), string(formatJSON), string(formatYAML)}

// addOutputFlag registers -o on cmd with table as its default.
func addOutputFlag(cmd *cobra.Command, f *outputFormat) {
	*f = formatTable
	cmd.Flags().VarP(formatValue{f}, "output", "o", "output format: table, json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(formats, cobra.ShellCompDirectiveNoFileComp))
}

// formatValue is a pflag.Value that accepts only the known formats, so a
// wrong -o is a usage error before anything is sent.
type formatValue struct{ f *outputFormat }

func (v formatValue) String() string { return string(*v.f) }
func (v formatValue) Type() string   { return "format" }
func (v formatValue) Set(s string) error {
	switch outputFormat(s) {
	case formatTable, formatJSON, formatYAML:
		*v.f = outputFormat(s)
		return nil
	}
	return fmt.Errorf("%q is not one of table, json, yaml", s)
}

// table is rows under a header, for the table format.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

// print writes v (the wire objects) as JSON or YAML, or tbl as a table.
func (f outputFormat) print(w io.Writer, v any, tbl func() table) error {
	switch f {
	case formatJSON:
		return writeJSON(w, v)
	case formatYAML:
		return writeYAML(w, v)
	}
	t := tbl()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(t.header, "\t"))
	for _, r := range t.rows {
		cells := make([]string, len(r))
		for i, c := range r {
			if c == "" {
				c = "-"
			}
			cells[i] = c
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// writeJSON writes v indented, without HTML escaping (a URL's & stays &).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeYAML writes v as YAML with the keys and names of its JSON form (the
// wire's), in the same order: v goes through JSON, which is YAML, and is
// re-emitted in block style.
func writeYAML(w io.Writer, v any) error {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(buf.Bytes(), &doc); err != nil {
		return fmt.Errorf("converting to YAML: %w", err)
	}
	blockStyle(&doc)
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	return enc.Close()
}

// blockStyle clears the flow and quoting styles JSON's syntax left on n,
// so that the encoder picks plain YAML (quoting only what needs it).
func blockStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// millis formats a Unix-milliseconds time as RFC 3339 in UTC, "" for 0.
func millis(ms int64) string {
	if ms == 0 {
		return ""
	}
	return time.UnixMilli(ms).UTC().Format(time.RFC3339)
}

// orNone is s, or none when s is empty.
func orNone(s, none string) string {
	if s == "" {
		return none
	}
	return s
}
