package node

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ivrd/ivrd/node/nodetest"
)

// drainConfig has no overload guard: the binary test's process shares a
// busy test machine with this package's other servers, and a guard that
// reads its pacers' lateness there could refuse the call the test drains.
const drainConfig = `
server:
  sip: { listen: ["udp://127.0.0.1:SIP_PORT"] }
  media: { rtp_ports: "RTP_RANGE", overload_guard: false }
  drain_timeout: DRAIN
  api: { listen: "127.0.0.1:0" } # the binary test's process too: never the default 8080
prompts_dir: "PROMPTS"
ivrs:
  - id: main
    extensions: ["100"]
    prompt: beep
    response_timeout: 10s
    keys: { "#": hangup }
`

// options sends one OPTIONS and returns its status.
func options(t *testing.T, to netip.AddrPort) int {
	t.Helper()
	ua, err := sipgo.NewUA()
	require.NoError(t, err)
	defer ua.Close()
	client, err := sipgo.NewClient(ua)
	require.NoError(t, err)
	req := sip.NewRequest(sip.OPTIONS, sip.Uri{Scheme: "sip", Host: to.Addr().String(), Port: int(to.Port())})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	res, err := client.Do(ctx, req)
	require.NoError(t, err)
	return res.StatusCode
}

// TestDrainLetsCallsFinishAndRefusesNewOnes: while draining, a call in
// progress goes on and ends as the caller likes; new INVITEs and OPTIONS
// get 503; the drain is over when the last call ends.
func TestDrainLetsCallsFinishAndRefusesNewOnes(t *testing.T) {
	t.Parallel()
	svc := startConfig(t, writeConfig(t, drainConfig, "SIP_PORT", "0", "DRAIN", "30s"))
	addr := svc.sip.Addr("udp")
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	call, err := c.Call(ctx, addr, "100")
	require.NoError(t, err)

	left := make(chan int, 1)
	go func() { left <- svc.Drain(30*time.Second, nil) }()
	require.Eventually(t, svc.sip.Draining, 2*time.Second, 10*time.Millisecond)

	_, err = newCaller(t).Call(ctx, addr, "100")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "503", "a new call is refused while draining")
	assert.Equal(t, 503, options(t, addr), "OPTIONS says the node is out of service")

	c.ResetPackets()
	waitUntil(t, 5*time.Second, func() bool { return len(c.Packets()) > 0 },
		func() string { return "the call in progress gets no audio while the node drains" })
	select {
	case <-left:
		t.Fatal("drain ended while a call was up")
	default:
	}
	require.NoError(t, call.Dialog.Bye(ctx))
	select {
	case n := <-left:
		assert.Equal(t, 0, n, "no call was left to hang up")
	case <-time.After(5 * time.Second):
		t.Fatal("drain did not end with the last call")
	}
}

// TestDrainTimeoutHangsUpTheRest: a call still up when the drain timeout
// passes is hung up by ivrd (the caller gets BYE).
func TestDrainTimeoutHangsUpTheRest(t *testing.T) {
	t.Parallel()
	svc, err := newService(writeConfig(t, drainConfig, "SIP_PORT", "0", "DRAIN", "1s"), os.Stderr, "warn")
	require.NoError(t, err)
	require.NoError(t, svc.Start(context.Background()))
	c := newCaller(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err = c.Call(ctx, svc.sip.Addr("udp"), "100")
	require.NoError(t, err)
	assert.Equal(t, 1, svc.Drain(300*time.Millisecond, nil), "one call left at the timeout")
	svc.Close()
	_, err = c.WaitRequest(sip.BYE, 3*time.Second)
	require.NoError(t, err, "the call left gets BYE")
}

// TestSIGTERMDrainsTheProcess runs the real binary: SIGTERM stops new
// calls and waits for the one in progress; when it hangs up, ivrd exits 0.
// A second run shows a second SIGTERM ending a drain at once.
func TestSIGTERMDrainsTheProcess(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the ivrd binary")
	}
	bin := filepath.Join(t.TempDir(), "ivrd")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/ivrd").CombinedOutput()
	require.NoError(t, err, string(out))

	for _, second := range []bool{false, true} {
		t.Run(fmt.Sprintf("second_signal=%v", second), func(t *testing.T) {
			port := nodetest.Port(t, 0)
			cfg := writeConfig(t, drainConfig, "SIP_PORT", fmt.Sprint(port), "DRAIN", "60s")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "serve", "--config", cfg)
			stderr, err := cmd.StderrPipe()
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					select {
					case lines <- sc.Text():
					default:
					}
				}
				close(lines)
			}()
			waitLine(t, lines, "ivrd serving")
			addr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
			c := newCaller(t)
			call, err := c.Call(ctx, addr, "100")
			require.NoError(t, err)

			require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
			waitLine(t, lines, "draining")
			_, err = newCaller(t).Call(ctx, addr, "100")
			require.Error(t, err, "no new calls while draining")
			if second {
				require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
				_, err = c.WaitRequest(sip.BYE, 5*time.Second)
				require.NoError(t, err, "the second signal hangs the call up")
			} else {
				require.NoError(t, call.Dialog.Bye(ctx))
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				require.NoError(t, err, "ivrd exits 0")
			case <-time.After(10 * time.Second):
				t.Fatal("ivrd did not exit after its last call")
			}
		})
	}
}

func waitLine(t *testing.T, lines <-chan string, want string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("ivrd exited before logging %q", want)
			}
			if strings.Contains(l, want) {
				return
			}
		case <-deadline:
			t.Fatalf("ivrd never logged %q", want)
		}
	}
}
