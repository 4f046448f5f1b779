package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// version is set at build time by the Makefile (-ldflags -X main.version=).
var version = "dev"

const usage = `ivrd — a SIP/RTP IVR media server

Usage:
  ivrd serve    [--config FILE]   answer calls (default: the bundled example IVR)
  ivrd validate FILE              check a config file without serving
  ivrd simulate --config FILE --to NUMBER --input SCRIPT
                                  run one call through the menu, no network
  ivrd voicemail list [--config FILE] [--box N]
                                  list recorded voicemail messages
  ivrd prompt [--out DIR] FILE... check prompt files: length, level, clipping
  ivrd dtmf [--json] [--rate 8000|16000] FILE...
                                  list the keys pressed in recordings, with start and end
  ivrd token create|revoke|list   API tokens kept in the store
  ivrd calls [--api ADDR] [--token T|FILE]
                                  list the calls in progress (hangup ID, transfer ID URI)
  ivrd cdr [--limit N] [--ivr ID] [--caller N] ...
                                  print call records, newest first
  ivrd trunks [--api ADDR] [--token T|FILE]
                                  the trunks' registrations (exit 1 when one failed)
  ivrd import asterisk [--pbx HOST] [--prompts DIR] FILE...
                                  translate an Asterisk dialplan IVR to ivrd YAML
  ivrd config export [--config FILE]
                                  print the store's configuration as YAML
  ivrd version                    print the version

Run "ivrd COMMAND --help" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "validate":
		return runValidate(args[1:], stdout, stderr)
	case "simulate":
		return runSimulate(args[1:], stdout, stderr)
	case "voicemail":
		return runVoicemail(args[1:], stdout, stderr)
	case "prompt":
		return runPrompt(args[1:], stdout, stderr)
	case "dtmf":
		return runDTMF(args[1:], stdout, stderr)
	case "token":
		return runToken(args[1:], stdout, stderr)
	case "config":
		return runConfig(args[1:], stdout, stderr)
	case "calls":
		return runCalls(args[1:], stdout, stderr)
	case "cdr":
		return runCDR(args[1:], stdout, stderr)
	case "import":
		return runImport(args[1:], stdout, stderr)
	case "trunks":
		return runTrunks(args[1:], stdout, stderr) // cmd_trunks.go
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "ivrd %s\n", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "ivrd: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// parseFlags parses a command's flags. done means the command is over:
// with status 0 after --help, 2 after a bad flag (the flag package has
// said what was wrong).
func parseFlags(fs *flag.FlagSet, args []string) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0, true
		}
		return 2, true
	}
	return 0, false
}
