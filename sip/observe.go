package sip

// sent tells Config.OnResponse about a response ivrd sent (metrics): a
// hook, so that sip imports no metrics library.
func (s *Server) sent(method string, code int) {
	if s.cfg.OnResponse != nil {
		s.cfg.OnResponse(method, code)
	}
}
