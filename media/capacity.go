package media

// Full reports whether every RTP port pair of the range is taken by a
// call: a new call would be refused. Pairs some other program holds are
// not known until a bind fails, so a false here can still meet ErrNoPorts.
// The SIP layer answers OPTIONS 503 while this holds, so a proxy's
// dispatcher stops sending calls that could only be refused.
func (e *Engine) Full() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inUse) >= (e.cfg.PortMax-e.cfg.PortMin)/2+1
}
