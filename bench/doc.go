// Package bench holds ivrd's load tools: sipp scenarios (bench/sipp),
// the load scripts (load.sh; sweep.sh, sippload.sh, setuprate.sh,
// overload.sh, sidebyside.sh, and issue 23's and 26's ask.sh,
// gathers.sh, durability.sh, cluster_cost.sh and pgrestart.sh, which drive ivrload
// and share bench/lib.sh), the Go peer of
// the side-by-side (bench/diago, a module of its own on emiago/diago),
// the overload curve's drawer (bench/plot), the kernel's floor under the
// media core (bench/floor, run by floor.sh beside ivrd's sweep) and Go
// benchmarks that
// measure whole subsystems, such as the pacing of many RTP streams.
// Results and the commands that produced them are in RESULTS.md.
package bench
