package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ivrd/ivrd/ivr"
)

// Import applies a YAML configuration file to the store, in one
// transaction that validates the whole result (nothing changes if it does
// not pass). What it does with resources the API has also edited:
//
//   - a resource in the file whose file content changed since it was last
//     imported (or that was never imported) replaces the stored one of the
//     same id: the file wins for what was edited in the file;
//   - a resource whose file content is unchanged since the last import is
//     left as the store has it: an API edit survives a restart or SIGHUP
//     with the same file;
//   - resources only in the store stay.
//
// The file's process settings (server, prompts_dir, voicemail_dir) become
// the store's Base, with dir and prompts (the names on disk or bundled).
func (s *Store) Import(ctx context.Context, who string, data []byte, dir string, prompts []string) (WriteResult, error) {
	base, edits, err := parseFile(data, dir, prompts)
	if err != nil {
		return WriteResult{}, err
	}
	// Drop the edits whose file content is what was imported last time.
	_, metas, err := s.loadStateMeta(ctx, s.db)
	if err != nil {
		return WriteResult{}, err
	}
	kept := edits[:0]
	for _, e := range edits {
		if m, ok := metas[e.kind][e.id]; ok && m.fileHash == *e.fileHash {
			continue
		}
		kept = append(kept, e)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].kind+Kind(kept[i].id) < kept[j].kind+Kind(kept[j].id) })
	old := s.getBase()
	s.SetBase(base)
	res, err := s.write(ctx, who, "import", kept)
	if err != nil {
		s.SetBase(old) // a refused file changes nothing, its settings included
	}
	return res, err
}

// BaseFromFile is the Base a configuration file gives (its settings, its
// folder, the prompts on disk), for reading the store without importing.
func BaseFromFile(data []byte, dir string, prompts []string) (Base, error) {
	base, _, err := parseFile(data, dir, prompts)
	return base, err
}

// parseFile splits a configuration file into its Base and one edit per
// resource, each with the hash of its file content.
func parseFile(data []byte, dir string, prompts []string) (Base, []edit, error) {
	if _, err := ivr.Parse(data); err != nil {
		return Base{}, nil, err
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Base{}, nil, fmt.Errorf("config: %w", err)
	}
	doc := map[string]any{}
	if len(root.Content) == 1 {
		m, ok := nodeToAny(root.Content[0]).(map[string]any)
		if !ok {
			return Base{}, nil, fmt.Errorf("config: the file is not a mapping")
		}
		doc = m
	}
	base := Base{Settings: map[string]any{}, Dir: dir, Prompts: slices.Clone(prompts)}
	var edits []edit
	for key, v := range doc {
		kind, ok := ParseKind(key)
		if !ok {
			base.Settings[key] = v
			continue
		}
		list, _ := v.([]any)
		for i, item := range list {
			body, ok := coerceScalars(item, kind.modelType()).(map[string]any)
			if !ok {
				return Base{}, nil, fmt.Errorf("config: %s[%d]: want a mapping", kind, i)
			}
			id, err := CheckBody(kind, body)
			if err != nil {
				return Base{}, nil, fmt.Errorf("config: %s[%d]: %w", kind, i, err)
			}
			canon, _ := json.Marshal(body)
			sum := sha256.Sum256(canon)
			hash := hex.EncodeToString(sum[:])
			edits = append(edits, edit{kind: kind, id: id, body: body, fileHash: &hash})
		}
	}
	return base, edits, nil
}

// ExportYAML is the store's configuration as a YAML file `ivrd validate`
// accepts and Import reads back (secrets included: it is the operator's
// backup, not an API answer).
func (s *Store) ExportYAML(ctx context.Context) ([]byte, error) {
	data, err := s.ExportJSON(ctx)
	if err != nil {
		return nil, err
	}
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	blockStyle(&n)
	var b bytes.Buffer
	b.WriteString("# ivrd configuration exported from the store\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}

// blockStyle turns JSON's flow style into YAML's block style, with each
// resource's naming field first.
func blockStyle(n *yaml.Node) {
	n.Style = 0
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style = 0 // the encoder quotes what would read back as another type
	}
	if n.Kind == yaml.MappingNode {
		for _, first := range []string{"number", "name", "id"} {
			for i := 2; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == first {
					k, v := n.Content[i], n.Content[i+1]
					copy(n.Content[2:i+2], n.Content[0:i])
					n.Content[0], n.Content[1] = k, v
				}
			}
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

// nodeToAny converts YAML to JSON-like values: mapping keys as written
// (keys: {1: ...} has the key "1"), numbers as json.Number.
func nodeToAny(n *yaml.Node) any {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			return nodeToAny(n.Content[0])
		}
		return nil
	case yaml.AliasNode:
		return nodeToAny(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = nodeToAny(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		a := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			a = append(a, nodeToAny(c))
		}
		return a
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int", "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return json.Number(strings.TrimPrefix(n.Value, "+"))
		}
	}
	return n.Value
}

// coerceScalars gives a YAML scalar the type the model field has, as the
// YAML decoder does: `number: 1001` is the string "1001".
func coerceScalars(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == destinationType {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		for k, x := range m {
			switch destinationFields[k] {
			case "destination":
				m[k] = coerceScalars(x, destinationType)
			case "string", "duration":
				m[k] = scalarString(x)
			}
		}
		return m
	}
	switch t.Kind() {
	case reflect.String:
		return scalarString(v)
	case reflect.Slice:
		if a, ok := v.([]any); ok {
			for i := range a {
				a[i] = coerceScalars(a[i], t.Elem())
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for k := range m {
				m[k] = coerceScalars(m[k], t.Elem())
			}
		}
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok {
			for i := 0; i < t.NumField(); i++ {
				tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
				if x, ok := m[tag]; ok {
					m[tag] = coerceScalars(x, t.Field(i).Type)
				}
			}
		}
	}
	return v
}

func scalarString(v any) any {
	switch x := v.(type) {
	case json.Number:
		return string(x)
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
