package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sample is a table as bench/overload.sh writes it: past 2,000 calls
// the guard refuses the rest.
const sample = "offered\tadmitted\trefused_503\tother_failed\tloss_pct\tp99_ms\tp999_ms\tivrd_cpu_pct\tivrload_late_p99_ms\tloadavg\n" +
	"1000\t1000\t0\t0\t0\t0.2\t0.9\t41\t1.1\t0.5-0.7\n" +
	"4000\t2100\t1900\t0\t0.01\t1.8\t250\t97\t2.0\t1.9-2.2\n" +
	"2000\t2000\t0\t0\t0\t0.5\t1.4\t82\t1.2\t0.8-1.1\n"

// polylines returns each polyline's points, in drawing order, from an
// SVG that must be well-formed XML.
func polylines(t *testing.T, doc []byte) [][][2]float64 {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var lines [][][2]float64
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
		el, ok := tok.(xml.StartElement)
		if !ok || el.Name.Local != "polyline" {
			continue
		}
		for _, a := range el.Attr {
			if a.Name.Local != "points" {
				continue
			}
			var pts [][2]float64
			for _, p := range strings.Fields(a.Value) {
				x, y, _ := strings.Cut(p, ",")
				fx, err1 := strconv.ParseFloat(x, 64)
				fy, err2 := strconv.ParseFloat(y, 64)
				if err1 != nil || err2 != nil {
					t.Fatalf("point %q", p)
				}
				pts = append(pts, [2]float64{fx, fy})
			}
			lines = append(lines, pts)
		}
	}
}

// The picture shows what the table says: one point per size offered,
// left to right by calls offered; where the guard refused calls the
// admitted line lies below the offered one and the refused line above
// zero, and where it refused none the two meet.
func TestDrawShowsAdmittedAndRefusedAgainstOffered(t *testing.T) {
	pts, err := readTable(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := draw(&b, pts, "test <curve> & more"); err != nil {
		t.Fatal(err)
	}
	lines := polylines(t, b.Bytes())
	if len(lines) != 5 {
		t.Fatalf("%d polylines, want 5 (offered, admitted, refused, p999, p99)", len(lines))
	}
	offered, admitted, refused := lines[0], lines[1], lines[2]
	for _, l := range lines {
		if len(l) != 3 {
			t.Fatalf("a series has %d points, want 3 (one per size)", len(l))
		}
		if !(l[0][0] < l[1][0] && l[1][0] < l[2][0]) {
			t.Fatalf("points not in order of calls offered: %v", l)
		}
	}
	// SVG y grows downwards.
	if admitted[0][1] != offered[0][1] || admitted[1][1] != offered[1][1] {
		t.Errorf("below capacity every call offered is admitted: admitted %v, offered %v", admitted[:2], offered[:2])
	}
	if admitted[2][1] <= offered[2][1] {
		t.Errorf("at 4000 offered, 2100 admitted must be drawn below the offered line")
	}
	if refused[2][1] >= refused[0][1] {
		t.Errorf("the 1900 refused at 4000 must be drawn above the zero refused at 1000")
	}
	if !strings.Contains(b.String(), "test &lt;curve&gt; &amp; more") {
		t.Error("the title is not in the picture, escaped")
	}
	if !strings.Contains(b.String(), "p999 250 ms") {
		t.Error("a p999 beyond the right axis must be written out")
	}
}

func TestReadTableNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "empty table"},
		{"no column", "offered\tadmitted\n1\t1\n", `no column "refused_503"`},
		{"bad count", strings.Replace(sample, "4000\t2100", "4000\tmany", 1), `line 3: admitted "many"`},
		{"short row", strings.SplitAfter(sample, "\n")[0] + "1000\t1000\n", "line 2: no refused_503 column"},
		{"negative", strings.Replace(sample, "\t0.2\t", "\t-1\t", 1), `line 2: p99_ms "-1"`},
		{"no rows", strings.SplitAfter(sample, "\n")[0], "no rows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := readTable(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// The command reads the table and writes the picture; a missing table is
// an error naming it.
func TestRunWritesTheSVG(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "overload.tsv"), filepath.Join(dir, "overload.svg")
	if err := os.WriteFile(in, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"--in", in, "--out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(polylines(t, doc)) != 5 {
		t.Fatal("the written SVG lacks its series")
	}
	stderr.Reset()
	if code := run([]string{"--in", filepath.Join(dir, "none.tsv"), "--out", out}, &stderr); code != 1 || !strings.Contains(stderr.String(), "none.tsv") {
		t.Fatalf("a missing table: exit %d, %q", code, stderr.String())
	}
}

func FuzzReadTable(f *testing.F) {
	f.Add(sample)
	f.Fuzz(func(t *testing.T, in string) {
		pts, err := readTable(strings.NewReader(in))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := draw(&b, pts, in); err != nil {
			t.Fatal(err)
		}
		polylines(t, b.Bytes())
	})
}

// Three runs of the sweep draw one curve: per size offered, the median
// run's figures, so a single run's stall does not bend it.
func TestRunDrawsTheMediansOfSeveralTables(t *testing.T) {
	dir := t.TempDir()
	header := strings.SplitAfter(sample, "\n")[0]
	runs := []string{
		header + "1000\t1000\t0\t0\t0\t0.2\t0.9\t41\t1\tx\n4000\t2100\t1900\t0\t0\t1.8\t9\t97\t2\tx\n",
		header + "1000\t1000\t0\t0\t0\t40\t900\t41\t1\tx\n4000\t2300\t1700\t0\t0\t2.0\t8\t97\t2\tx\n", // a stall at 1000
		header + "1000\t1000\t0\t0\t0\t0.3\t1.0\t41\t1\tx\n4000\t2200\t1800\t0\t0\t1.9\t7\t97\t2\tx\n",
	}
	var ins []string
	for i, r := range runs {
		p := filepath.Join(dir, "run"+strconv.Itoa(i)+".tsv")
		if err := os.WriteFile(p, []byte(r), 0o600); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, p)
	}
	var tables [][]point
	for _, p := range ins {
		pts, err := readFile(p)
		if err != nil {
			t.Fatal(err)
		}
		tables = append(tables, pts)
	}
	got := medians(tables)
	want := []point{{Offered: 1000, Admitted: 1000, P99Ms: 0.3, P999Ms: 1.0}, {Offered: 4000, Admitted: 2200, Refused: 1800, P99Ms: 1.9, P999Ms: 8}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("medians %+v, want %+v", got, want)
	}
	out := filepath.Join(dir, "overload.svg")
	var stderr bytes.Buffer
	if code := run([]string{"--in", strings.Join(ins, ","), "--out", out}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	doc, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(doc), "p999 900") {
		t.Error("the stalled run's p999 was drawn: want the median's")
	}
}
