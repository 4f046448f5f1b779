package api

import "github.com/ivrd/ivrd/api/edit"

// zdID is the stable integer id Wazo's and Zendesk's APIs show for an
// ivrd resource (edit.IntID).
func zdID(kind, name string) int64 { return edit.IntID(kind, name) }

func str(body map[string]any, k string) string { v, _ := body[k].(string); return v }
