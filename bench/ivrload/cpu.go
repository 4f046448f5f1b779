package ivrload

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// cpuWindow holds CPU-time samples of the target and of this process at
// the measuring window's edges.
type cpuWindow struct {
	load0, load1   string // /proc/loadavg's 1-minute figure: how busy the machine was
	at0, at1       time.Time
	self0, self1   time.Duration
	target0        time.Duration
	target1        time.Duration
	targetErr      error
	targetMeasured bool
}

func (c *cpuWindow) begin(pid int) {
	c.at0 = time.Now()
	c.load0 = loadAvg()
	c.self0 = selfCPU()
	if pid > 0 {
		c.target0, c.targetErr = procCPU(pid)
	}
}

func (c *cpuWindow) end(pid int) {
	c.at1 = time.Now()
	c.load1 = loadAvg()
	c.self1 = selfCPU()
	if pid > 0 && c.targetErr == nil {
		c.target1, c.targetErr = procCPU(pid)
		c.targetMeasured = c.targetErr == nil
	}
}

// selfCPU is this process's user+system time (all threads).
func selfCPU() time.Duration {
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat's times: 100 on every
// Linux architecture Go runs on (the kernel fixes it for user space).
const clockTicks = 100

// procCPU reads utime+stime of pid (all its threads) from /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseProcStat(b)
}

// parseProcStat takes fields 14 and 15 (utime, stime) of a stat line.
// The command name (field 2) may hold spaces and parentheses, so fields
// are counted from the last ')'.
func parseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("ivrload: /proc stat without a command name")
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state): utime is field 14 -> f[11], stime f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("ivrload: /proc stat too short")
	}
	u, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	s, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("ivrload: /proc stat: bad utime/stime")
	}
	return time.Duration(u+s) * time.Second / clockTicks, nil
}

// loadAvg is the machine's 1-minute load average, "" when unknown. Other
// processes on the cores share them with the target: a figure taken on a
// busy machine says so.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	if f := bytes.Fields(b); len(f) > 0 {
		return string(f[0])
	}
	return ""
}
