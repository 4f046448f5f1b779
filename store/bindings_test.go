package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A binding one node stores is what another reads: its contact, the
// route to it and the node that took it; a refresh replaces it, expiry
// and removal end it for both.
func TestBindingsSharedByNodes(t *testing.T) {
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		a, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer a.Close()
		b := a
		if strings.HasPrefix(url, "postgres") {
			b, err = Open(ctx, url, Options{})
			require.NoError(t, err)
			defer b.Close()
		}
		now := time.Now()
		phone := Binding{AOR: "1001", Contact: "sip:1001@192.0.2.7:5062", Node: "node-1",
			Path:    []string{"<sip:10.0.0.1:5060;lr;received=sip:192.0.2.7:5062>"},
			Expires: now.Add(time.Minute)}
		require.NoError(t, a.PutBinding(ctx, phone, now))
		desk := Binding{AOR: "1001", Contact: "sip:1001@192.0.2.8:5060", Source: "192.0.2.8:5060", Node: "node-1", Expires: now.Add(time.Hour)}
		require.NoError(t, a.PutBinding(ctx, desk, now))

		got, err := b.Bindings(ctx, "1001", now)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, phone.Path, got[0].Path, "the route to the phone")
		assert.Equal(t, "node-1", got[0].Node)
		assert.Equal(t, "192.0.2.8:5060", got[1].Source)
		assert.Nil(t, got[1].Path, "no Path: called directly")

		one, ok, err := b.BindingOf(ctx, phone.Contact, now)
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, "1001", one.AOR)

		phone.Node, phone.Expires = "node-2", now.Add(2*time.Minute) // re-registered through another node
		require.NoError(t, b.PutBinding(ctx, phone, now))
		got, err = a.Bindings(ctx, "1001", now)
		require.NoError(t, err)
		require.Len(t, got, 2, "a refresh replaces, never duplicates")
		assert.Equal(t, "node-2", got[0].Node)

		got, err = a.Bindings(ctx, "1001", now.Add(90*time.Minute))
		require.NoError(t, err)
		assert.Empty(t, got, "expired for every node")

		require.NoError(t, b.RemoveBinding(ctx, "1001", desk.Contact))
		got, err = a.Bindings(ctx, "1001", now)
		require.NoError(t, err)
		require.Len(t, got, 1, "expires=0 for one contact")
		require.NoError(t, a.RemoveBinding(ctx, "1001", ""))
		got, err = b.Bindings(ctx, "1001", now)
		require.NoError(t, err)
		assert.Empty(t, got, "Contact: * removes them all")
		_, ok, err = b.BindingOf(ctx, phone.Contact, now)
		require.NoError(t, err)
		assert.False(t, ok)
	})
}
