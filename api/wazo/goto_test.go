package wazo

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The custom destination's command, as the seed writes it and not.
func TestGotoIVRCommand(t *testing.T) {
	for cmd, want := range map[string]string{
		"Goto(dp-ivr-example,s,1)":       "dp-ivr-example",
		"  Goto( main.v2 , s , 1 )  ":    "main.v2",
		"Goto(dp-ivr-example,s,2)":       "",
		"Goto(dp-ivr-example,t,1)":       "",
		"Goto(a b,s,1)":                  "",
		"Goto(,s,1)":                     "",
		"Dial(SIP/100)":                  "",
		"Goto(x,s,1)Hangup()":            "",
		"Goto(dp-ivr-example,s,1,extra)": "",
	} {
		got, ok := gotoIVR(cmd)
		require.Equal(t, want != "", ok, cmd)
		require.Equal(t, want, got, cmd)
	}
	require.True(t, validKey("*9#"))
	require.False(t, validKey(""))
	require.False(t, validKey("12345678901"))
	require.False(t, validKey("1a"))
}
