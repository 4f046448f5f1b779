package api

import "errors"

// Yeastar's dialtocheckvoicemail lets callers of an IVR check their
// voicemail from it. ivrd's form of it is the * key leading to
// {voicemail_check: "*"} (box number, then PIN): on adds that key, off
// removes it, and the query shows on when it is there.
const vmCheckKey = "*"

func hasVMCheck(body map[string]any) bool {
	keys, _ := body["keys"].(map[string]any)
	d, _ := keys[vmCheckKey].(map[string]any)
	return d["voicemail_check"] == "*"
}

// setVMCheck applies dialtocheckvoicemail to an IVR body.
func setVMCheck(body map[string]any, on bool) error {
	keys, _ := body["keys"].(map[string]any)
	if !on {
		if hasVMCheck(body) {
			delete(keys, vmCheckKey)
		}
		return nil
	}
	if keys == nil {
		keys = map[string]any{}
		body["keys"] = keys
	}
	if cur, taken := keys[vmCheckKey]; taken && cur != nil && !hasVMCheck(body) {
		return errors.New("dialtocheckvoicemail: ivrd checks voicemail on the * key, which this IVR already uses for something else")
	}
	keys[vmCheckKey] = map[string]any{"voicemail_check": "*"}
	return nil
}
