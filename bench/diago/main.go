// Command diago-ivr is the Go peer of issue 21's side-by-side measurement
// (bench/sidebyside.sh): the smallest IVR written on emiago/diago that
// does what ivrd's bench menu (bench/ivrload.yaml) does, so that one
// harness, ivrload, drives both servers the same way:
//
//   - answers every INVITE (PCMU, telephone-event 101);
//   - plays the greeting once, then loops the menu prompt: the same WAV
//     files ivrd plays (prompts/builtin/welcome.wav, main-choices.wav);
//   - reads RFC 4733 digits with diago's DTMF reader; on the menu's key
//     ("1") it transfers the caller with a REFER to the menu's URI and
//     hangs up once the transferee's NOTIFY says the new call was answered,
//     as ivrd does (ivrload --digit 1 --expect refer checks both).
//
// It does no in-band detection (diago has none): ivrd, with inband:
// always in the bench configuration, does more work per call than this
// peer. It lives in its own module so that ivrd's go.mod never gains
// diago's dependencies; build it with `make diago-ivr` (bin/diago-ivr).
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/media"
	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/zaf/g711"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

// options are the command's flags.
type options struct {
	listen   string
	prompts  string
	key      string
	referTo  string
	rtpPorts string
	logLevel string
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("diago-ivr", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.listen, "listen", "127.0.0.1:5060", "SIP over UDP: host:port to listen on")
	fs.StringVar(&o.prompts, "prompts", "prompts/builtin", "folder holding welcome.wav and main-choices.wav (8 kHz mono, G.711 µ-law or 16-bit PCM)")
	fs.StringVar(&o.key, "key", "1", "the menu key that transfers the caller")
	fs.StringVar(&o.referTo, "refer-to", "sip:sales@127.0.0.1:5070", "where that key transfers the caller (REFER)")
	fs.StringVar(&o.rtpPorts, "rtp-ports", "20000-29999", "RTP port range LO-HI")
	fs.StringVar(&o.logLevel, "log-level", "warn", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := serve(o, stderr); err != nil {
		_, _ = fmt.Fprintln(stderr, "diago-ivr:", err)
		return 1
	}
	return 0
}

// ivr is the running server's shared, read-only state and its counters.
type ivr struct {
	greeting []byte // 16-bit little-endian PCM, 8 kHz
	menu     []byte
	key      rune
	referTo  sip.Uri
	log      *slog.Logger

	answered, transferred, failed atomic.Int64
}

func serve(o options, stderr io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level %q: %w", o.logLevel, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log) // sipgo and diago log through the default logger

	host, portStr, err := net.SplitHostPort(o.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", o.listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return fmt.Errorf("--listen %q: port: %w", o.listen, err)
	}
	lo, hi, err := portRange(o.rtpPorts)
	if err != nil {
		return err
	}
	// diago keeps its RTP port range in its media package (its own
	// configuration, set once before the first call).
	media.RTPPortStart, media.RTPPortEnd = lo, hi
	if len([]rune(o.key)) != 1 {
		return fmt.Errorf("--key %q: want one key", o.key)
	}
	s := &ivr{key: []rune(o.key)[0], log: log}
	if err := sip.ParseUri(o.referTo, &s.referTo); err != nil {
		return fmt.Errorf("--refer-to %q: %w", o.referTo, err)
	}
	if s.greeting, err = readPCM(filepath.Join(o.prompts, "welcome.wav")); err != nil {
		return err
	}
	if s.menu, err = readPCM(filepath.Join(o.prompts, "main-choices.wav")); err != nil {
		return err
	}

	ua, err := sipgo.NewUA(sipgo.WithUserAgent("diago-ivr"))
	if err != nil {
		return err
	}
	defer func() { _ = ua.Close() }() // the process ends right after
	dg := diago.NewDiago(ua,
		diago.WithTransport(diago.Transport{Transport: "udp", BindHost: host, BindPort: port}),
		diago.WithMediaConfig(diago.MediaConfig{Codecs: []media.Codec{media.CodecAudioUlaw, media.CodecTelephoneEvent8000}}),
		diago.WithLogger(log),
	)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Warn("diago-ivr listening", "sip", "udp://"+o.listen, "rtp", o.rtpPorts)
	err = dg.Serve(ctx, s.call)
	_, _ = fmt.Fprintf(stderr, "diago-ivr: answered %d, transferred %d, failed %d\n",
		s.answered.Load(), s.transferred.Load(), s.failed.Load())
	if ctx.Err() != nil {
		return nil // stopped by a signal: the normal end
	}
	return err
}

// call is one caller's whole time in the menu; diago hangs up when it
// returns, so it returns only once the call is over.
func (s *ivr) call(d *diago.DialogServerSession) {
	ctx := d.Context()
	med, err := d.Answer(diago.AnswerOptions{})
	if err != nil {
		s.failed.Add(1)
		s.log.Info("answer failed", "error", err)
		return
	}
	s.answered.Add(1)

	pb, err := med.PlaybackCreate()
	if err != nil {
		s.failed.Add(1)
		s.log.Info("playback", "error", err)
		return
	}
	go s.play(ctx, &pb)

	dtmf, err := med.AudioReaderDTMF()
	if err != nil {
		s.failed.Add(1)
		s.log.Info("DTMF reader", "error", err)
		return
	}
	var once sync.Once
	go func() {
		// Reads the caller's audio (which diago must drain) and its
		// events until the call's media end.
		_ = dtmf.Listen(func(r rune) error {
			if r == s.key {
				once.Do(func() { go s.transfer(ctx, d) })
			}
			return nil
		}, 24*time.Hour)
	}()
	<-ctx.Done()
}

// play sends the greeting once, then the menu again and again, until the
// call ends (a write to a closed session fails).
func (s *ivr) play(ctx context.Context, pb *diago.AudioPlayback) {
	if _, err := pb.Play(bytes.NewReader(s.greeting), "audio/pcm"); err != nil {
		return
	}
	for ctx.Err() == nil {
		if _, err := pb.Play(bytes.NewReader(s.menu), "audio/pcm"); err != nil {
			return
		}
	}
}

// transfer sends the REFER; diago hangs up when the NOTIFY reports the
// new call answered.
func (s *ivr) transfer(ctx context.Context, d *diago.DialogServerSession) {
	if err := d.Refer(ctx, s.referTo); err != nil {
		s.failed.Add(1)
		s.log.Info("REFER failed", "error", err)
		return
	}
	s.transferred.Add(1)
}

func portRange(spec string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(spec, "-")
	lo, err1 := strconv.Atoi(a)
	hi, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || lo <= 0 || hi <= lo || hi > 65535 {
		return 0, 0, fmt.Errorf("--rtp-ports %q: want LO-HI", spec)
	}
	return lo, hi, nil
}

// WAV format tags (RIFF fmt chunk).
const (
	wavPCM  = 1
	wavULaw = 7
)

// readPCM reads an 8 kHz mono WAV file, G.711 µ-law or 16-bit PCM, as
// 16-bit little-endian PCM: what diago's playback encodes to the call's
// codec frame by frame.
func readPCM(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%s: not a RIFF WAVE file", path)
	}
	var format, channels, bits uint16
	var rate uint32
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		body := b[p+8:]
		if size > len(body) {
			return nil, fmt.Errorf("%s: chunk %q runs past the end of the file", path, id)
		}
		body = body[:size]
		switch id {
		case "fmt ":
			if size < 16 {
				return nil, fmt.Errorf("%s: fmt chunk of %d bytes", path, size)
			}
			format = binary.LittleEndian.Uint16(body[0:])
			channels = binary.LittleEndian.Uint16(body[2:])
			rate = binary.LittleEndian.Uint32(body[4:])
			bits = binary.LittleEndian.Uint16(body[14:])
		case "data":
			if channels != 1 || rate != 8000 {
				return nil, fmt.Errorf("%s: %d channels at %d Hz: want mono 8 kHz", path, channels, rate)
			}
			switch {
			case format == wavULaw:
				return g711.DecodeUlaw(body), nil
			case format == wavPCM && bits == 16:
				return bytes.Clone(body), nil
			default:
				return nil, fmt.Errorf("%s: format %d, %d bits: want µ-law or 16-bit PCM", path, format, bits)
			}
		}
		p += 8 + size + size&1
	}
	return nil, fmt.Errorf("%s: no data chunk", path)
}
