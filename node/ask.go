package node

import (
	"log/slog"
	"sync"

	"github.com/ivrd/ivrd/call"
	"github.com/ivrd/ivrd/decide"
	"github.com/ivrd/ivrd/ivr"
	"github.com/ivrd/ivrd/prompts"
	"github.com/ivrd/ivrd/spoken"
)

// deciders hands calls the decision client for their configuration's
// ask: settings: one client (one connection pool, one set of breakers)
// for as long as the settings stay the same across reloads.
type deciders struct {
	log *slog.Logger

	mu       sync.Mutex
	settings ivr.AskSettings
	client   *decide.Client
}

func (d *deciders) forConfig(cfg *ivr.Config) call.Decider {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client == nil || cfg.Ask != d.settings {
		if d.client != nil {
			d.client.Close()
		}
		d.client = decide.New(decide.Options{Secret: cfg.Ask.Secret, AllowPrivate: cfg.Ask.AllowPrivate,
			MaxConcurrent: cfg.Ask.MaxConcurrent, UserAgent: cfg.Server.SIP.UserAgent, Log: d.log})
		d.settings = cfg.Ask
	}
	return d.client
}

func (d *deciders) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.client != nil {
		d.client.Close()
	}
}

// sayer speaks ask answers' say text with espeak-ng, uncached (each
// call's text may be its own).
func sayer() call.Speak {
	sp := &prompts.Speaker{NoCache: true}
	return func(lang, text string) (*prompts.Prompt, error) {
		pcm, err := sp.Speak(text, spoken.Prompt{Language: lang}.VoiceFor())
		if err != nil {
			return nil, err
		}
		return prompts.New("say", pcm), nil
	}
}
