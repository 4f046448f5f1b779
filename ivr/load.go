package ivr

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Parse reads a configuration, applies defaults and rejects unknown
// fields and malformed values with their line numbers. It does not
// validate references: see Validate.
func Parse(data []byte) (*Config, error) {
	if err := unquotedKeys(data); err != nil {
		return nil, err
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	c.applyDefaults()
	c.parseMedia()
	return &c, nil
}

// Load reads and parses a file; prompts_dir is taken relative to it.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Dir = filepath.Dir(path)
	return c, nil
}

// PromptsPath is prompts_dir resolved against the file's folder ("" when
// the config names none).
func (c *Config) PromptsPath() string {
	if c.PromptsDir == "" || filepath.IsAbs(c.PromptsDir) || c.Dir == "" {
		return c.PromptsDir
	}
	return filepath.Join(c.Dir, c.PromptsDir)
}

// VoicemailPath is voicemail_dir (default "voicemail") resolved against
// the file's folder.
func (c *Config) VoicemailPath() string {
	d := c.VoicemailDir
	if d == "" {
		d = "voicemail"
	}
	if filepath.IsAbs(d) || c.Dir == "" {
		return d
	}
	return filepath.Join(c.Dir, d)
}

// keyTrap is a key-map line whose key is a bare # or *: YAML reads the
// first as a comment (the key silently vanishes) and the second as an
// alias.
var keyTrap = regexp.MustCompile(`^\s*[#*]\s*:`)

func unquotedKeys(data []byte) error {
	var msgs []string
	for i, line := range strings.Split(string(data), "\n") {
		if keyTrap.MatchString(line) {
			k := strings.TrimSpace(line)[:1]
			msgs = append(msgs, fmt.Sprintf("line %d: quote the key %s (write \"%s\": ...): YAML reads a bare %s as %s",
				i+1, k, k, k, map[string]string{"#": "a comment", "*": "an alias"}[k]))
		}
	}
	if msgs != nil {
		return fmt.Errorf("config: %s", strings.Join(msgs, "\n  "))
	}
	return nil
}
