package main

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// point is one row of bench/overload.sh's table: one size offered.
type point struct {
	Offered, Admitted, Refused int
	P99Ms, P999Ms              float64
}

// The columns read, by their header name (the table has more).
const (
	colOffered  = "offered"
	colAdmitted = "admitted"
	colRefused  = "refused_503"
	colP99      = "p99_ms"
	colP999     = "p999_ms"
)

// readTable parses the tab-separated table: a header line naming the
// columns, then one line per size. Every error names the line and the
// column.
func readTable(r io.Reader) ([]point, error) {
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("empty table: want a header line")
	}
	idx := map[string]int{}
	for i, name := range strings.Split(sc.Text(), "\t") {
		idx[strings.TrimSpace(name)] = i
	}
	for _, want := range []string{colOffered, colAdmitted, colRefused, colP99, colP999} {
		if _, ok := idx[want]; !ok {
			return nil, fmt.Errorf("header: no column %q", want)
		}
	}
	var pts []point
	for line := 2; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, "\t")
		field := func(name string) (string, error) {
			i := idx[name]
			if i >= len(f) {
				return "", fmt.Errorf("line %d: no %s column (%d fields)", line, name, len(f))
			}
			return strings.TrimSpace(f[i]), nil
		}
		count := func(name string) (int, error) {
			s, err := field(name)
			if err != nil {
				return 0, err
			}
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("line %d: %s %q: want a count", line, name, s)
			}
			return v, nil
		}
		millis := func(name string) (float64, error) {
			s, err := field(name)
			if err != nil {
				return 0, err
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || v < 0 || v != v || v > 1e9 {
				return 0, fmt.Errorf("line %d: %s %q: want milliseconds", line, name, s)
			}
			return v, nil
		}
		var p point
		var err error
		if p.Offered, err = count(colOffered); err != nil {
			return nil, err
		}
		if p.Admitted, err = count(colAdmitted); err != nil {
			return nil, err
		}
		if p.Refused, err = count(colRefused); err != nil {
			return nil, err
		}
		if p.P99Ms, err = millis(colP99); err != nil {
			return nil, err
		}
		if p.P999Ms, err = millis(colP999); err != nil {
			return nil, err
		}
		pts = append(pts, p)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("no rows under the header")
	}
	return pts, nil
}

// medians merges the tables of repeated runs: per size offered, the
// median of each figure over the runs that offered it (the lower middle
// of an even count), so one run's outlier does not draw the curve.
func medians(tables [][]point) []point {
	if len(tables) == 1 {
		return tables[0]
	}
	bySize := map[int][]point{}
	var sizes []int
	for _, t := range tables {
		for _, p := range t {
			if _, ok := bySize[p.Offered]; !ok {
				sizes = append(sizes, p.Offered)
			}
			bySize[p.Offered] = append(bySize[p.Offered], p)
		}
	}
	slices.Sort(sizes)
	out := make([]point, 0, len(sizes))
	for _, n := range sizes {
		runs := bySize[n]
		out = append(out, point{
			Offered:  n,
			Admitted: median(runs, func(p point) int { return p.Admitted }),
			Refused:  median(runs, func(p point) int { return p.Refused }),
			P99Ms:    median(runs, func(p point) float64 { return p.P99Ms }),
			P999Ms:   median(runs, func(p point) float64 { return p.P999Ms }),
		})
	}
	return out
}

func median[T int | float64](runs []point, field func(point) T) T {
	v := make([]T, len(runs))
	for i, p := range runs {
		v[i] = field(p)
	}
	slices.Sort(v)
	return v[(len(v)-1)/2]
}
