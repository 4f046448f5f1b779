package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ivrd/ivrd/ivr"
)

// One IVR as YAML, in the configuration file's own shape: what the API's
// export writes and its import reads (api: GET .../export, POST
// /api/v1/ivrs/import). Only the IVR itself is in it: the schedules,
// prompts and other IVRs it names are references, listed in a comment,
// that must exist where it is imported.

// IVRYAML is one IVR read from YAML: its id, its body as the store keeps
// it, and where each of its fields was written.
type IVRYAML struct {
	ID   string
	Body map[string]any
	// lines is a field's path in the body ("keys.1", "extensions[0]") ->
	// its line in the YAML.
	lines map[string]int
}

// ErrYAMLSyntax is YAML that cannot be read at all, or that is not one
// IVR.
var ErrYAMLSyntax = errors.New("not one IVR in YAML")

// Line is the YAML line of the field a problem path names (a body path
// "keys.1.uri" or a configuration path "ivrs[main].keys.1"), or of the
// nearest field around it; 0 when unknown.
func (f IVRYAML) Line(path string) int {
	p := strings.TrimPrefix(path, "ivrs["+f.ID+"]")
	p = strings.TrimPrefix(p, ".")
	for {
		if n, ok := f.lines[p]; ok {
			return n
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			return f.lines[""]
		}
		p = p[:i]
	}
}

// ParseIVRYAML reads one IVR: either the IVR's mapping itself, or a file
// with only `ivrs:` listing exactly one. The body is checked for shape as
// an API write is (a *ShapeError naming the field); a body that is not
// YAML, or not one IVR, is an error wrapping ErrYAMLSyntax. It does not
// validate references: the store's write does.
func ParseIVRYAML(data []byte) (IVRYAML, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return IVRYAML{}, fmt.Errorf("%w: %s", ErrYAMLSyntax, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	item, err := ivrNode(&root)
	if err != nil {
		return IVRYAML{}, err
	}
	f := IVRYAML{lines: map[string]int{}}
	if walkLines(item, "", f.lines, 0) > maxYAMLNodes {
		return IVRYAML{}, fmt.Errorf("%w: more than %d values (aliases?): not one IVR", ErrYAMLSyntax, maxYAMLNodes)
	}
	body, ok := coerceScalars(nodeToAny(item), IVRs.modelType()).(map[string]any)
	if !ok {
		return IVRYAML{}, fmt.Errorf("%w: line %d: want an IVR's fields (id:, keys: ...)", ErrYAMLSyntax, item.Line)
	}
	f.Body = body
	f.ID, _ = body["id"].(string) // for the problems' paths, even when the shape is wrong
	// The file parser names every mistake of shape with its line (the
	// body check below stops at the first).
	if probs := fileProblems(data, item == root.Content[0]); len(probs) > 0 {
		return f, &ValidationError{Problems: probs}
	}
	_, err = CheckBody(IVRs, body)
	return f, err
}

// fileProblems reads the YAML as a configuration file would be read and
// returns the problems met. A bare IVR is read as the one entry of
// ivrs:, indented under it; its lines are then given back as written.
func fileProblems(data []byte, bare bool) []ivr.Problem {
	if !bare {
		_, probs := ivr.Decode(data)
		return probs
	}
	var b bytes.Buffer
	b.WriteString("ivrs:\n  -\n")
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	_, probs := ivr.Decode(b.Bytes())
	for i, p := range probs {
		probs[i].Msg = shiftLine(p.Msg, -2)
		probs[i].Path = shiftLine(p.Path, -2)
	}
	return probs
}

// shiftLine moves a leading "line N" by delta.
func shiftLine(s string, delta int) string {
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return s
	}
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil || n+delta < 1 {
		return s
	}
	return "line " + strconv.Itoa(n+delta) + rest[end:]
}

// Path is a body path ("keys.1") as a configuration path
// ("ivrs[main].keys.1"), as validation names problems.
func (f IVRYAML) Path(body string) string {
	if body == "" {
		return "ivrs[" + f.ID + "]"
	}
	return "ivrs[" + f.ID + "]." + body
}

// Mine reports whether a configuration path is in this IVR.
func (f IVRYAML) Mine(path string) bool {
	own := "ivrs[" + f.ID + "]"
	return path == own || strings.HasPrefix(path, own+".")
}

// maxYAMLNodes bounds an import's values (an IVR has a few hundred at
// most): aliases could otherwise expand a small body into a huge one.
const maxYAMLNodes = 20000

// ivrNode finds the IVR's mapping in a document.
func ivrNode(root *yaml.Node) (*yaml.Node, error) {
	doc := root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: want an IVR (id:, keys: ...) or ivrs: with one IVR, got %s", ErrYAMLSyntax, yamlKind(doc))
	}
	var list *yaml.Node
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == string(IVRs) {
			list = doc.Content[i+1]
		}
	}
	if list == nil {
		return doc, nil // the IVR's own fields
	}
	if len(doc.Content) != 2 {
		return nil, fmt.Errorf("%w: line %d: besides ivrs: the file has other settings; export and import carry one IVR only", ErrYAMLSyntax, doc.Line)
	}
	if list.Kind != yaml.SequenceNode || len(list.Content) != 1 {
		n := len(list.Content)
		if list.Kind != yaml.SequenceNode {
			n = 0
		}
		return nil, fmt.Errorf("%w: line %d: ivrs: must list exactly one IVR, got %d", ErrYAMLSyntax, list.Line, n)
	}
	item := list.Content[0]
	if item.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%w: line %d: want an IVR's fields, got %s", ErrYAMLSyntax, item.Line, yamlKind(item))
	}
	return item, nil
}

func yamlKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" || n.Kind == 0 {
			return "nothing"
		}
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.DocumentNode, yaml.AliasNode:
	}
	return "nothing"
}

// walkLines records each field's line by its body path and returns how
// many nodes it visited, aliases expanded (stopping past maxYAMLNodes).
func walkLines(n *yaml.Node, path string, lines map[string]int, seen int) int {
	seen++
	if _, ok := lines[path]; !ok {
		lines[path] = n.Line
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content) && seen <= maxYAMLNodes; i += 2 {
			p := join(path, n.Content[i].Value)
			lines[p] = n.Content[i].Line
			seen = walkLines(n.Content[i+1], p, lines, seen)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if seen > maxYAMLNodes {
				break
			}
			seen = walkLines(c, fmt.Sprintf("%s[%d]", path, i), lines, seen)
		}
	case yaml.AliasNode:
		if n.Alias != nil && seen <= maxYAMLNodes {
			seen = walkLines(n.Alias, path, lines, seen)
		}
	case yaml.DocumentNode, yaml.ScalarNode:
	}
	return seen
}

// ExportIVRYAML is the live IVR id as a configuration file holding only
// it (`ivrs:` with one entry), with a comment listing what it refers to.
func (s *Store) ExportIVRYAML(ctx context.Context, id string) ([]byte, error) {
	res, err := s.Get(ctx, IVRs, id)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(map[string]any{string(IVRs): []any{res.Body}})
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# IVR %q exported from ivrd (version %d). Import it with POST /api/v1/ivrs/import.\n", id, res.Version)
	refs := ivrReferences(data)
	if len(refs) > 0 {
		b.WriteString("# It refers to these by name only; they are not included and must exist where it is imported:\n")
		for _, r := range refs {
			b.WriteString("#   " + r + "\n")
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// ivrReferences lists the schedules, prompts and other IVRs an exported
// IVR names, one line per kind ("schedules: office").
func ivrReferences(doc []byte) []string {
	var c struct {
		IVRs []ivr.IVR `yaml:"ivrs"`
	}
	if yaml.Unmarshal(doc, &c) != nil || len(c.IVRs) != 1 {
		return nil
	}
	m := c.IVRs[0]
	schedules := []string{m.Schedule}
	for _, s := range m.NumberSchedules {
		schedules = append(schedules, s)
	}
	prompts := []string{m.Greeting, m.Prompt, m.InvalidPrompt, m.TimeoutPrompt}
	var ivrs []string
	var visit func(d *ivr.Destination, depth int)
	visit = func(d *ivr.Destination, depth int) {
		if d == nil || depth > 8 {
			return
		}
		switch d.Kind {
		case ivr.KindIVR:
			if d.Target != m.ID {
				ivrs = append(ivrs, d.Target)
			}
		case ivr.KindPlay:
			prompts = append(prompts, d.Target)
		default:
		}
		for _, next := range []*ivr.Destination{d.Then, d.Overflow, d.Fallback} {
			visit(next, depth+1)
		}
	}
	for _, d := range m.Keys {
		visit(d, 0)
	}
	visit(m.OnFailure, 0)
	var out []string
	for _, l := range []struct {
		what  string
		names []string
	}{{"schedules", schedules}, {"prompts", prompts}, {"ivrs", ivrs}} {
		names := slices.DeleteFunc(l.names, func(s string) bool { return s == "" })
		sort.Strings(names)
		names = slices.Compact(names)
		if len(names) > 0 {
			out = append(out, l.what+": "+strings.Join(names, ", "))
		}
	}
	return out
}
