package main

import (
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strings"
)

// The picture's geometry (SVG user units) and colours.
const (
	width, height  = 880, 520
	marginLeft     = 80
	marginRight    = 90
	marginTop      = 70
	marginBottom   = 70
	plotW          = width - marginLeft - marginRight
	plotH          = height - marginTop - marginBottom
	ticks          = 5
	colourOffered  = "#999999"
	colourAdmitted = "#1f77b4"
	colourRefused  = "#d62728"
	colourP99      = "#ff7f0e"
)

// niceStep is a round step (1, 2 or 5 times a power of ten) that cuts
// span into about n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

// axis is one linear scale from 0 to max, with its tick step.
type axis struct{ max, step float64 }

func newAxis(v float64) axis {
	step := niceStep(v, ticks)
	return axis{max: math.Max(step, math.Ceil(v/step)*step), step: step}
}

// svg collects the picture's elements.
type svg struct{ b strings.Builder }

func (s *svg) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svg) text(x, y float64, anchor, colour, size, body string) {
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" fill="%s" font-size="%s">%s</text>`+"\n",
		x, y, anchor, colour, size, html.EscapeString(xmlText(body)))
}

// xmlText keeps what XML allows in text: valid UTF-8 without control
// characters (a title comes from the command line).
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// series draws a polyline with a marker on every point.
func (s *svg) series(xs, ys []float64, colour, dash string) {
	pts := make([]string, len(xs))
	for i := range xs {
		pts[i] = fmt.Sprintf("%.1f,%.1f", xs[i], ys[i])
	}
	s.f(`<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`+"\n",
		colour, dash, strings.Join(pts, " "))
	for i := range xs {
		s.f(`<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"/>`+"\n", xs[i], ys[i], colour)
	}
}

// label formats a tick value without needless decimals.
func label(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}

// draw writes the overload curve: calls offered on x; offered (the
// diagonal), admitted and refused on the left axis; the admitted calls'
// p99 and p999 on the right axis, whose top is set by the p99 (a p999
// beyond it is drawn at the top with its value written beside).
func draw(w io.Writer, pts []point, title string) error {
	pts = slices.Clone(pts)
	slices.SortFunc(pts, func(a, b point) int { return a.Offered - b.Offered })
	var maxCalls, maxP99 float64
	for _, p := range pts {
		maxCalls = math.Max(maxCalls, float64(max(p.Offered, p.Admitted, p.Refused)))
		maxP99 = math.Max(maxP99, p.P99Ms)
	}
	xAx, yAx, rAx := newAxis(maxCalls), newAxis(maxCalls), newAxis(math.Max(maxP99*1.2, 1))
	px := func(v float64) float64 { return marginLeft + v/xAx.max*plotW }
	pyL := func(v float64) float64 { return marginTop + plotH - v/yAx.max*plotH }
	pyR := func(v float64) float64 { return marginTop + plotH - math.Min(v, rAx.max)/rAx.max*plotH }

	var s svg
	s.f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif">`+"\n",
		width, height, width, height)
	s.f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	s.text(width/2, 30, "middle", "black", "15", title)
	s.axes(xAx, yAx, rAx, px, pyL, pyR)

	xs := make([]float64, len(pts))
	off, adm, ref, p99, p999 := make([]float64, len(pts)), make([]float64, len(pts)), make([]float64, len(pts)), make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i] = px(float64(p.Offered))
		off[i], adm[i], ref[i] = pyL(float64(p.Offered)), pyL(float64(p.Admitted)), pyL(float64(p.Refused))
		p99[i], p999[i] = pyR(p.P99Ms), pyR(p.P999Ms)
		if p.P999Ms > rAx.max {
			x, anchor := xs[i]+5, "start"
			if xs[i] > marginLeft+plotW*0.8 { // keep clear of the right axis
				x, anchor = xs[i]-5, "end"
			}
			s.text(x, marginTop+12, anchor, colourP99, "10", fmt.Sprintf("p999 %s ms", label(math.Round(p.P999Ms*10)/10)))
		}
	}
	s.series(xs, off, colourOffered, "6 4")
	s.series(xs, adm, colourAdmitted, "none")
	s.series(xs, ref, colourRefused, "none")
	s.series(xs, p999, colourP99, "2 3")
	s.series(xs, p99, colourP99, "none")
	s.legend()
	s.f("</svg>\n")
	_, err := io.WriteString(w, s.b.String())
	return err
}

func (s *svg) axes(xAx, yAx, rAx axis, px, pyL, pyR func(float64) float64) {
	x0, x1, y0, y1 := float64(marginLeft), float64(marginLeft+plotW), float64(marginTop+plotH), float64(marginTop)
	for v := 0.0; v <= yAx.max+yAx.step/2; v += yAx.step {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e5e5e5"/>`+"\n", x0, pyL(v), x1, pyL(v))
		s.text(x0-8, pyL(v)+4, "end", "black", "11", label(v))
	}
	for v := 0.0; v <= rAx.max+rAx.step/2; v += rAx.step {
		s.text(x1+8, pyR(v)+4, "start", colourP99, "11", label(v))
	}
	for v := 0.0; v <= xAx.max+xAx.step/2; v += xAx.step {
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="black"/>`+"\n", px(v), y0, px(v), y0+5)
		s.text(px(v), y0+20, "middle", "black", "11", label(v))
	}
	s.f(`<rect x="%.1f" y="%.1f" width="%d" height="%d" fill="none" stroke="black"/>`+"\n", x0, y1, plotW, plotH)
	s.text((x0+x1)/2, y0+45, "middle", "black", "13", "calls offered")
	s.f(`<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" font-size="13">calls</text>`+"\n", x0-55, (y0+y1)/2)
	s.f(`<text transform="translate(%.1f %.1f) rotate(90)" text-anchor="middle" font-size="13" fill="%s">admitted calls: abs(Δt − 20 ms), ms</text>`+"\n",
		x1+60, (y0+y1)/2, colourP99)
}

func (s *svg) legend() {
	items := []struct{ colour, dash, name string }{
		{colourOffered, "6 4", "offered"},
		{colourAdmitted, "none", "admitted"},
		{colourRefused, "none", "refused (503)"},
		{colourP99, "none", "p99 of admitted (right axis)"},
		{colourP99, "2 3", "p999 of admitted (right axis)"},
	}
	x := float64(marginLeft + 10)
	for _, it := range items {
		s.f(`<line x1="%.1f" y1="50" x2="%.1f" y2="50" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`+"\n", x, x+22, it.colour, it.dash)
		s.text(x+27, 54, "start", "black", "11", it.name)
		x += 34 + float64(len(it.name))*6
	}
}
