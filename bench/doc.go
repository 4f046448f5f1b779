// Package bench holds ivrd's load tools: sipp scenarios (bench/sipp),
// the sipp load script (load.sh) and Go benchmarks that measure whole
// subsystems, such as the pacing of many RTP streams. Results and the
// commands that produced them are in RESULTS.md.
package bench
