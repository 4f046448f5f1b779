//go:build !opus

package opus

// Available reports whether this binary links libopus: not this one
// (built without the tag opus).
const Available = false

// Encoder is a stand-in: this binary has no Opus.
type Encoder struct{}

// NewEncoder returns ErrNotBuilt.
func NewEncoder() (*Encoder, error) { return nil, ErrNotBuilt }

// Encode returns ErrNotBuilt.
func (e *Encoder) Encode(dst []byte, pcm []int16) error { return ErrNotBuilt }

// Decoder is a stand-in: this binary has no Opus.
type Decoder struct{}

// NewDecoder returns ErrNotBuilt.
func NewDecoder() (*Decoder, error) { return nil, ErrNotBuilt }

// Decode returns ErrNotBuilt.
func (d *Decoder) Decode(payload []byte) ([]int16, error) { return nil, ErrNotBuilt }
