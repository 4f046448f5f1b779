package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/ivrd/ivrd/audio"
	"github.com/ivrd/ivrd/node"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/store"
)

// storeFor opens the store a configuration names (the bundled example's,
// data/ivrd.db, without --config) with that file's settings as its base,
// importing nothing.
func storeFor(ctx context.Context, path string) (*store.Store, error) {
	data, cfg, lib, err := node.FileSource(path, &prompts.Speaker{CacheDir: filepath.Join(node.DataDir(path), "speech")})
	if err != nil {
		return nil, err
	}
	st, err := node.OpenStore(ctx, path, cfg, nil, nil)
	if err != nil {
		return nil, err
	}
	base, err := store.BaseFromFile(data, cfg.Dir, lib.AllNames())
	if err != nil {
		_ = st.Close() // the error that matters is BaseFromFile's
		return nil, err
	}
	st.SetBase(base)
	return st, nil
}

// runToken is `ivrd token create|revoke|list`.
func runToken(args []string, stdout, stderr io.Writer) int {
	usage := "Usage:\n  ivrd token create --name NAME --scope read|write [--config FILE]\n  ivrd token revoke --name NAME [--config FILE]\n  ivrd token list [--config FILE]\n\n" +
		"API tokens kept in the store (hashed; the token is printed once, at\ncreation). Tokens in the file (server.api.tokens) are listed there.\n"
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file naming the store (default: data/ivrd.db)")
	name := fs.String("name", "", "token name (shown in the audit log)")
	scope := fs.String("scope", "", "read or write")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if sub != "create" && sub != "revoke" && sub != "list" {
		fmt.Fprintf(stderr, "ivrd token: unknown command %q\n\n%s", sub, usage)
		return 2
	}
	if sub != "list" && *name == "" {
		fmt.Fprintln(stderr, "ivrd token: --name is required")
		return 2
	}
	st, err := storeFor(ctx, *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd token: %v\n", err)
		return 1
	}
	defer func() { _ = st.Close() }() // read, or one committed write: nothing left to lose
	switch sub {
	case "create":
		tok, _, err := st.CreateToken(ctx, *name, *scope)
		if err != nil {
			fmt.Fprintf(stderr, "ivrd token: %v\n", err)
			if errors.Is(err, store.ErrBadInput) {
				return 2
			}
			return 1
		}
		fmt.Fprintln(stdout, tok)
	case "revoke":
		if err := st.RevokeToken(ctx, *name); err != nil {
			fmt.Fprintf(stderr, "ivrd token: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "token %q revoked\n", *name)
	case "list":
		list, err := st.Tokens(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "ivrd token: %v\n", err)
			return 1
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSCOPE\tCREATED\tREVOKED")
		for _, t := range list {
			rev := "-"
			if t.RevokedAt != nil {
				rev = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Scope, t.CreatedAt.Format(time.RFC3339), rev)
		}
		if err := tw.Flush(); err != nil {
			return 1
		}
	}
	return 0
}

// runConfig is `ivrd config export`.
func runConfig(args []string, stdout, stderr io.Writer) int {
	usage := "Usage: ivrd config export [--config FILE] [--prompts DIR]\n\n" +
		"Prints the configuration the store holds as YAML that `ivrd validate`\n" +
		"accepts (secrets included: keep it private). --prompts DIR also writes\n" +
		"the uploaded prompts there as WAV files; point prompts_dir at that\n" +
		"folder (with the file prompts copied in) to validate the export alone.\n"
	if len(args) == 0 || args[0] != "export" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("config export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file naming the store (default: data/ivrd.db)")
	promptDir := fs.String("prompts", "", "also write the uploaded prompts as WAV files to this folder")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	if code, done := parseFlags(fs, args[1:]); done {
		return code
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := storeFor(ctx, *cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd config: %v\n", err)
		return 1
	}
	defer func() { _ = st.Close() }() // read, or one committed write: nothing left to lose
	y, err := st.ExportYAML(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "ivrd config: %v\n", err)
		return 1
	}
	if *promptDir != "" {
		if err := exportPrompts(ctx, st, *promptDir); err != nil {
			fmt.Fprintf(stderr, "ivrd config: %v\n", err)
			return 1
		}
	}
	if _, err := stdout.Write(y); err != nil {
		fmt.Fprintf(stderr, "ivrd config: %v\n", err)
		return 1
	}
	return 0
}

func exportPrompts(ctx context.Context, st *store.Store, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	list, err := st.Prompts(ctx)
	if err != nil {
		return err
	}
	for _, p := range list {
		_, pcm, err := st.PromptAudio(ctx, p.Name)
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, p.Name+".wav"))
		if err != nil {
			return err
		}
		err = audio.WriteWAV(f, pcm)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("prompt %s: %w", p.Name, err)
		}
	}
	return nil
}
