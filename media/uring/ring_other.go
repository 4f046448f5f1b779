//go:build linux && !(amd64 || arm64)

package uring

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Elsewhere on Linux New fails and the caller keeps its plain system
// calls: the buffer ring's tail is published with a little-endian word
// store, and only amd64 and arm64 are built and tested with it.

// Ring is not available on this architecture.
type Ring struct{}

// BufRing is not available on this architecture.
type BufRing struct{}

// File is not available on this architecture.
type File struct{}

// FD is not available on this architecture.
func FD(int) File { return File{} }

// Fixed is not available on this architecture.
func Fixed(uint32) File { return File{} }

// Completion is not available on this architecture.
type Completion struct {
	UserData uint64
	Res      int32
}

var errUnsupported = errors.New("uring: not built for this architecture")

// New fails: see above.
func New(uint32, uint32) (*Ring, error) { return nil, errUnsupported }

func (*Ring) Close() error                                                { return errUnsupported }
func (*Ring) Send(File, []byte, *unix.RawSockaddrInet6, int, uint64) bool { return false }
func (*Ring) Receive(File, uint16, uint64) bool                           { return false }
func (*Ring) RegisterFiles(uint32) error                                  { return errUnsupported }
func (*Ring) SetFile(uint32, int) error                                   { return errUnsupported }
func (*Ring) Pending() bool                                               { return false }
func (*Ring) Space() int                                                  { return 0 }
func (*Ring) Cancel(uint64, uint64) bool                                  { return false }
func (*Ring) Submit() error                                               { return errUnsupported }
func (*Ring) Reap() (Completion, bool)                                    { return Completion{}, false }
func (*Ring) NewBufRing(uint16, int, uint16) (*BufRing, error)            { return nil, errUnsupported }
func (Completion) More() bool                                             { return false }
func (Completion) Buffer() (uint16, bool)                                 { return 0, false }
func (Completion) Err() error                                             { return errUnsupported }
func (*BufRing) Buf(uint16) []byte                                        { return nil }
func (*BufRing) Recycle(uint16)                                           {}

// Datagram is not available on this architecture.
func Datagram([]byte) (*unix.RawSockaddrInet6, []byte, bool) { return nil, nil, false }
