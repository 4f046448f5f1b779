package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	in := fs.String("in", "bench/out/overload.tsv", "the table bench/overload.sh wrote")
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
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	pts, err := readTable(f)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	var b bytes.Buffer
	if err := draw(&b, pts, title); err != nil {
		return err
	}
	return os.WriteFile(out, b.Bytes(), 0o644)
}
