package asterisk

import (
	"bytes"
	"fmt"

	"go.yaml.in/yaml/v3"
)

// YAML writes the configuration as ivrd reads it, its notes first as
// comments (each line the import could not carry over, and why).
func (c *Config) YAML(source string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Imported by `ivrd import asterisk` from %s.\n", source)
	if len(c.Notes) > 0 {
		fmt.Fprintf(&b, "# Not translated (%d):\n", len(c.Notes))
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "#   %s\n", n)
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
