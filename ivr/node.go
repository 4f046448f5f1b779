package ivr

import "os"

// defaultNodeID is server.node_id when the file leaves it out: the host
// name, which tells nodes apart on ordinary one-node-per-host deployments.
func defaultNodeID() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "ivrd"
	}
	return h
}
