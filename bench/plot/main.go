package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "bench/out/overload.tsv", "the table bench/overload.sh wrote; several, comma-separated, draw their per-size medians")
	out := fs.String("out", "bench/out/overload.svg", "the SVG to write")
	title := fs.String("title", "ivrd past capacity: calls offered vs. calls admitted and their quality", "the picture's title")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := plot(*in, *out, *title); err != nil {
		_, _ = fmt.Fprintln(stderr, "plot:", err)
		return 1
	}
	return 0
}

func plot(in, out, title string) error {
	var tables [][]point
	for _, path := range strings.Split(in, ",") {
		pts, err := readFile(path)
		if err != nil {
			return err
		}
		tables = append(tables, pts)
	}
	pts := medians(tables)
	var b bytes.Buffer
	if err := draw(&b, pts, title); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}

func readFile(path string) ([]point, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	pts, err := readTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pts, nil
}
