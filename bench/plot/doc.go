// Command plot draws issue 21's overload curve as an SVG picture from the
// table bench/overload.sh writes (bench/out/overload.tsv): calls offered
// on the x axis; calls admitted and calls refused with 503 on the left
// axis; the admitted calls' p99 and p999 inter-arrival error on a second,
// right axis.
//
//	go run ./bench/plot --in bench/out/overload.tsv --out bench/overload.svg
//
// It owns the table's parsing and a small SVG writer of its own (lines,
// markers, axes, ticks, a legend): no plotting library. It imports the
// standard library only: no ivrd package, nothing that runs calls.
package main
