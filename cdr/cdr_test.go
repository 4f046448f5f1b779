package cdr

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every outcome reads back from its one-line form (the migration of old
// rows and the CSV column rely on it).
func TestOutcomeLineRoundTrip(t *testing.T) {
	for _, o := range []Outcome{
		{Kind: OutcomeTransfer, Detail: "uri sip:sales@pbx", Done: true},
		{Kind: OutcomeTransfer, Detail: "extension 2001", Operator: true, Done: true},
		{Kind: OutcomeTransfer, Detail: "uri sip:x@y"},
		{Kind: OutcomeVoicemail, Detail: "1001"},
		{Kind: OutcomeHangup, Detail: "menu time limit"},
		{Kind: OutcomeCallerHungUp},
		{Kind: OutcomeEnded, Detail: "session timer expired"},
		{},
	} {
		assert.Equal(t, o, LegacyOutcome(o.String()), o.String())
	}
	assert.Equal(t, "transfer uri sip:sales@pbx done", Outcome{Kind: OutcomeTransfer, Detail: "uri sip:sales@pbx", Done: true}.String())
	assert.Equal(t, "ended: bye", Outcome{Kind: OutcomeEnded, Detail: "bye"}.String())
}

func TestKeySetAndPath(t *testing.T) {
	r := Record{Keys: []Key{{Key: "#"}, {Key: "1"}, {Key: "1"}, {Key: "A"}}}
	assert.Equal(t, "1#A", r.KeySet(), "each key once, in KeyChars order")
	b, err := json.Marshal(Record{Path: Path{"main", "support"}})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"path":"main\u003esupport"`, "the path is one string")
	var back Record
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, Path{"main", "support"}, back.Path)
	assert.Equal(t, Path{}, ParsePath(""))
}

func TestCheckNamesTheValues(t *testing.T) {
	require.NoError(t, Check("state", StateEnded))
	err := Check("state", State("lost"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `state "lost"`)
	assert.Contains(t, err.Error(), `"interrupted"`)
	assert.Error(t, Check("outcome", OutcomeKind("trans")))
	assert.True(t, ValidKey("#"))
	assert.False(t, ValidKey("12"))
}

// The CSV row has one cell per header column, the lists as JSON.
func TestCSVRowMatchesHeader(t *testing.T) {
	r := Record{CallID: "c", Keys: []Key{{Key: "1", AtMs: 5}}, Outcome: Outcome{Kind: OutcomeHangup, Detail: "failure"}}
	row, err := r.CSVRow()
	require.NoError(t, err)
	require.Len(t, row, len(CSVHeader()))
	cells := map[string]string{}
	for i, h := range CSVHeader() {
		cells[h] = row[i]
	}
	assert.Equal(t, `[{"key":"1","at_ms":5,"method":""}]`, cells["keys"])
	assert.Equal(t, "[]", cells["transfers"])
	assert.Equal(t, "hangup failure", cells["outcome"])
	assert.Equal(t, "hangup", cells["outcome_kind"])
	assert.Empty(t, cells["answer_at"])
}
