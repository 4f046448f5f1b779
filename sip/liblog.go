package sip

import (
	"context"
	"log/slog"
	"sync"

	sipgosip "github.com/emiago/sipgo/sip"
)

// minLevel passes on only records at or above min: sipgo's own bookkeeping
// warnings (connection reference counts) are noise to an operator.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }

var libLogOnce sync.Once

// quietLibrary routes sipgo's package-level logger into ours, errors only.
func quietLibrary(log *slog.Logger) {
	libLogOnce.Do(func() {
		sipgosip.SetDefaultLogger(slog.New(minLevel{log.Handler(), slog.LevelError}).With("component", "sipgo"))
	})
}
