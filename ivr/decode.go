package ivr

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Decode reads a configuration without stopping at the first problem: it
// returns the configuration as far as it could be read (defaults
// applied) and every problem met in reading it: unknown fields (with a
// did-you-mean), values of the wrong kind, unquoted # and * keys, each
// with its path and line. The configuration is nil when there is nothing
// to read: an empty file (ErrEmptyConfig) or broken YAML syntax.
//
// Parse is Decode that fails on any problem; validate uses Decode so that
// a typo does not hide the rest of the file's problems.
func Decode(data []byte) (*Config, []Problem) {
	if blank(data) {
		return nil, []Problem{{Path: "config", Msg: ErrEmptyConfig.Error() + " (no settings, only blank lines or comments)"}}
	}
	probs := unquotedKeys(data)
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, append(probs, lineProblem(strings.TrimPrefix(err.Error(), "yaml: "), nil))
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind == yaml.ScalarNode && doc.Tag == "!!null" {
		return nil, []Problem{{Path: "config", Msg: ErrEmptyConfig.Error()}}
	}
	if doc.Kind != yaml.MappingNode {
		return nil, append(probs, Problem{Path: "config", Msg: fmt.Sprintf("line %d: want settings (server:, trunks:, extensions:, schedules:, ivrs: ...), not %s", doc.Line, nodeKind(doc))})
	}
	w := &walker{lines: map[int]string{}, leaves: map[int][]leaf{}}
	w.walk(doc, reflect.TypeOf(Config{}), "", 0)
	probs = append(probs, w.out...)
	if w.visits > maxWalk {
		// Decoding would build the whole expansion (yaml's own alias
		// limit does not hold across our UnmarshalYAML methods).
		return nil, append(probs, Problem{Path: "config", Msg: fmt.Sprintf("aliases expand to more than %d values: not a configuration", maxWalk)})
	}
	var c Config
	if err := doc.Decode(&c); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, msg := range te.Errors {
				probs = append(probs, w.typeProblem(msg))
			}
		} else {
			probs = append(probs, w.typeProblem(err.Error()))
		}
	}
	for _, m := range c.IVRs {
		if m != nil {
			for _, msg := range m.decodeErrs {
				probs = append(probs, w.typeProblem(msg))
			}
			m.decodeErrs = nil
		}
	}
	// In file order, as validate reports.
	sort.SliceStable(probs, func(i, j int) bool { return msgLine(probs[i]) < msgLine(probs[j]) })
	c.applyDefaults()
	c.parseMedia()
	return &c, probs
}

// msgLine is the line a problem names (0: none).
func msgLine(p Problem) int {
	for _, s := range []string{p.Msg, p.Path} {
		if m := linePrefix.FindStringSubmatch(s + ": "); m != nil {
			n, _ := strconv.Atoi(m[1])
			return n
		}
	}
	return 0
}

// typeProblem places a decoding error at the path of the value it is
// about: the one on its line with the value quoted, if several share the
// line (flow style: { strip: -, name: a }).
func (w *walker) typeProblem(msg string) Problem {
	// yaml shortens long values to their first characters and "...".
	if m := cannotUnmarshal.FindStringSubmatch(msg); m != nil && m[3] != "" {
		n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(m[1], "line "), ": "))
		short, cut := strings.CutSuffix(m[3], "...")
		for _, l := range w.leaves[n] {
			if l.value == m[3] || cut && strings.HasPrefix(l.value, short) {
				full := strings.Replace(msg, "`"+m[3]+"`", "`"+l.value+"`", 1)
				return Problem{Path: l.path, Msg: plainTypeError(full)}
			}
		}
	}
	return lineProblem(plainTypeError(msg), w.lines)
}

// blank: nothing but whitespace, comments and document markers.
func blank(data []byte) bool {
	for _, line := range strings.Split(string(data), "\n") {
		l := strings.TrimSpace(line)
		if l != "" && !strings.HasPrefix(l, "#") && l != "---" && l != "..." {
			return false
		}
	}
	return true
}

var linePrefix = regexp.MustCompile(`^line (\d+): `)

// lineProblem places a "line N: ..." message at the path written on that
// line when it is known, else at "line N".
func lineProblem(msg string, lines map[int]string) Problem {
	m := linePrefix.FindStringSubmatch(msg)
	if m == nil {
		return Problem{Path: "config", Msg: msg}
	}
	n, _ := strconv.Atoi(m[1])
	if p, ok := lines[n]; ok {
		return Problem{Path: p, Msg: msg}
	}
	return Problem{Path: "line " + m[1], Msg: strings.TrimPrefix(msg, m[0])}
}

var (
	cannotUnmarshal = regexp.MustCompile("^(line \\d+: )cannot unmarshal !!(\\w+)(?: `(.*)`)? into (.+)$")
	goTypeName      = regexp.MustCompile(`(\[\])?\*?(ivr|time|yaml)\.\w+|map\[string\]\*?\w*\.?\w+`)
)

// plainTypeError rewrites yaml's "cannot unmarshal !!str `x` into int"
// into words a user can act on: no Go type names.
func plainTypeError(msg string) string {
	m := cannotUnmarshal.FindStringSubmatch(msg)
	if m == nil {
		return strings.TrimSpace(goTypeName.ReplaceAllString(msg, "this setting"))
	}
	got := map[string]string{"str": "text", "int": "a number", "float": "a number", "bool": "true/false",
		"map": "a mapping", "seq": "a list", "null": "nothing", "timestamp": "a date"}[m[2]]
	if got == "" {
		got = m[2]
	}
	if m[3] != "" {
		got += fmt.Sprintf(" %q", m[3])
	}
	want := "a mapping of settings"
	switch t := m[4]; {
	case t == "int" || t == "int64" || t == "uint16":
		want = "a whole number"
	case t == "bool":
		want = "true or false"
	case t == "string":
		want = "a single value"
	case strings.HasPrefix(t, "[]"):
		want = "a list"
	}
	return fmt.Sprintf("%swant %s, not %s", m[1], want, got)
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "this"
}

// walker finds the fields a file has that the model does not, following
// the model's yaml tags, and remembers the path written on each line.
type walker struct {
	visits int
	out    []Problem
	lines  map[int]string // line of a value -> its path, for type errors
	leaves map[int][]leaf // line -> the scalar values written on it
}

type leaf struct{ path, value string }

// maxWalk bounds the nodes walked: far more than any real file has.
const maxWalk = 200000

var (
	durationType    = reflect.TypeOf(Duration(0))
	destinationType = reflect.TypeOf(Destination{})
)

// listKeys names list items in paths as the validator does:
// ivrs[main], trunks[pstn], extensions[1001], schedules[office].
var listKeys = map[string]string{"ivrs": "id", "schedules": "id", "trunks": "name", "extensions": "number", "prompts": "name", "groups": "id", "conferences": "id"}

func (w *walker) walk(n *yaml.Node, t reflect.Type, path string, depth int) {
	// Aliases can make a small file a huge tree (a "billion laughs"):
	// no configuration is that deep or that big, and yaml's decoder
	// reports the excessive aliasing itself.
	if w.visits++; depth > 50 || w.visits > maxWalk {
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	w.note(n, path)
	switch {
	case t == durationType:
	case t == destinationType:
		if n.Kind != yaml.MappingNode {
			return
		}
		w.fields(n, path, depth, "destination field", func(k string) (reflect.Type, bool) {
			if !destinationKeys[k] {
				return nil, false
			}
			switch k {
			case "then", "overflow", "fallback":
				return destinationType, true
			case "gather":
				return reflect.TypeFor[Gather](), true
			case "stream":
				return reflect.TypeFor[Stream](), true
			case "record":
				return reflect.TypeFor[Record](), true
			}
			return nil, true
		}, sortedKeys(destinationKeys))
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return
		}
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = f.Type
			}
		}
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		w.fields(n, path, depth, "field", func(k string) (reflect.Type, bool) {
			ft, ok := fields[k]
			return ft, ok
		}, names)
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%s]", path, itemName(item, listKeys[path], i)), depth+1)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), path+"."+n.Content[i].Value, depth+1)
		}
	}
}

// fields checks a mapping's keys with known (nil type: a plain value).
func (w *walker) fields(n *yaml.Node, path string, depth int, what string, known func(string) (reflect.Type, bool), names []string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if kp == "" || k.Kind != yaml.ScalarNode {
			kp = strings.TrimPrefix(path+".", ".") + fmt.Sprintf("line %d", k.Line) // no name to show
		}
		ft, ok := known(k.Value)
		if !ok && k.Kind != yaml.ScalarNode {
			w.out = append(w.out, Problem{Path: kp, Msg: fmt.Sprintf("line %d: %s used as a key: want a %s name", k.Line, nodeKind(k), what)})
			continue
		}
		if !ok {
			msg := fmt.Sprintf("line %d: unknown %s %q", k.Line, what, k.Value)
			if s := didYouMean(k.Value, names); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			w.out = append(w.out, Problem{Path: kp, Msg: msg})
			continue
		}
		if ft != nil {
			w.walk(val, ft, kp, depth+1)
		} else {
			w.note(val, kp)
		}
	}
}

// note remembers where a value was written.
func (w *walker) note(n *yaml.Node, path string) {
	if path == "" {
		return
	}
	if _, seen := w.lines[n.Line]; !seen {
		w.lines[n.Line] = path
	}
	if n.Kind == yaml.ScalarNode {
		w.leaves[n.Line] = append(w.leaves[n.Line], leaf{path, n.Value})
	}
}

func itemName(item *yaml.Node, key string, i int) string {
	if key != "" && item.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(item.Content); j += 2 {
			if item.Content[j].Value == key && item.Content[j+1].Kind == yaml.ScalarNode && item.Content[j+1].Value != "" {
				return item.Content[j+1].Value
			}
		}
	}
	return strconv.Itoa(i)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// didYouMean is the known name closest to a typo: the same but for case,
// or within a couple of edits (a third of the word for long names).
func didYouMean(typo string, names []string) string {
	best, bestD := "", 3
	if l := len(typo) / 3; l > bestD {
		bestD = l
	}
	for _, n := range names {
		if strings.EqualFold(n, typo) {
			return n
		}
		if d := editDistance(strings.ToLower(typo), n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance (bytes; names are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64 // no suggestion for a long line of garbage
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
