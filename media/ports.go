package media

// Ports reports the RTP port pool: sessions holding a port pair now, and
// how many pairs the range has (metrics and readiness read it).
func (e *Engine) Ports() (inUse, total int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.inUse), (e.cfg.PortMax-e.cfg.PortMin)/2 + 1
}
