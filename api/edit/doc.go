// Package edit is how the management APIs change configuration: typed
// views of the store's resource bodies (IVR, Destination, Group,
// Schedule), and Update, the one read → change → Put loop that re-reads
// and re-applies the change when another writer got in between. The
// native API and the vendor APIs (api/zendesk, api/yeastar, api/wazo)
// all write through it, and reach the store through the small
// interfaces declared here (Reader, Writer), never *store.Store.
//
// edit knows nothing of HTTP. It must not import api or its vendor
// packages, sip, media or call.
package edit
