package ivr

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Parse reads a configuration and applies defaults. Any problem in
// reading it (an empty file, unknown fields, values of the wrong kind,
// unquoted # or * keys) fails it with a *ConfigError listing them all,
// each with its path and line. It does not validate references: see
// Validate.
func Parse(data []byte) (*Config, error) {
	c, probs := Decode(data)
	if len(probs) > 0 {
		return nil, &ConfigError{Problems: probs}
	}
	return c, nil
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

// LoadAll reads a file as Decode does: what could be read (nil if
// nothing) and every problem met reading it. err is for a file that
// cannot be read at all.
func LoadAll(path string) (*Config, []Problem, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	c, probs := Decode(data)
	if c != nil {
		c.Dir = filepath.Dir(path)
	}
	return c, probs, nil
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

func unquotedKeys(data []byte) []Problem {
	var out []Problem
	for i, line := range strings.Split(string(data), "\n") {
		if keyTrap.MatchString(line) {
			k := strings.TrimSpace(line)[:1]
			out = append(out, Problem{Path: fmt.Sprintf("line %d", i+1), Msg: fmt.Sprintf("quote the key %s (write \"%s\": ...): YAML reads a bare %s as %s",
				k, k, k, map[string]string{"#": "a comment", "*": "an alias"}[k])})
		}
	}
	return out
}

// RecordingsPath is server.recordings_dir resolved against the file's
// folder; by default a "recordings" folder beside a SQLite store, or
// beside the file.
func (c *Config) RecordingsPath() string {
	d := c.Server.RecordingsDir
	if d == "" {
		if f, ok := strings.CutPrefix(c.Server.Store, "sqlite://"); ok && f != "" {
			d = filepath.Join(filepath.Dir(f), "recordings")
		} else {
			d = "recordings"
		}
	}
	if filepath.IsAbs(d) || c.Dir == "" {
		return d
	}
	return filepath.Join(c.Dir, d)
}
