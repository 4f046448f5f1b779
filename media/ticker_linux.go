package media

import (
	"encoding/binary"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// timerfdTicker is a 1 ms periodic timerfd read through Go's netpoller:
// measured here to pace with far less error than time.Ticker (0.15-0.6 ms
// p99 against ~1.2 ms) and with less CPU.
type timerfdTicker struct {
	f   *os.File
	buf [8]byte
}

func newTicker() (ticker, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("media: timerfd: %w", err)
	}
	spec := unix.ItimerSpec{
		Interval: unix.Timespec{Nsec: 1_000_000},
		Value:    unix.Timespec{Nsec: 1_000_000},
	}
	if err := unix.TimerfdSettime(fd, 0, &spec, nil); err != nil {
		_ = unix.Close(fd) // the settime error is the one to report
		return nil, fmt.Errorf("media: timerfd settime: %w", err)
	}
	return &timerfdTicker{f: os.NewFile(uintptr(fd), "timerfd")}, nil
}

func (t *timerfdTicker) wait() (uint64, error) {
	if _, err := t.f.Read(t.buf[:]); err != nil {
		return 0, err
	}
	return binary.NativeEndian.Uint64(t.buf[:]), nil
}

func (t *timerfdTicker) close() { t.f.Close() }
