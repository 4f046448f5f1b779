package ivrload

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestServiceAnswersAfterItsDelay: every POST gets the answer, none
// before the delay, and the result counts them all and how many waited
// at once.
func TestServiceAnswersAfterItsDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan *ServiceResult, 1)
	go func() {
		res, err := RunService(ctx, ServiceConfig{Listen: "127.0.0.1:0", Delay: 100 * time.Millisecond,
			Answer: []byte(`{"uri": "sip:sales@127.0.0.1:5070"}`)}, func(a string) { addrs <- a })
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	url := "http://" + <-addrs + "/decide"
	const n = 20
	var wg sync.WaitGroup
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "application/json", strings.NewReader(`{"call_id":"x"}`))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != 200 || !strings.Contains(string(body), "sales@") {
				t.Errorf("answer %d %q", resp.StatusCode, body)
			}
			if d := time.Since(start); d < 100*time.Millisecond {
				t.Errorf("answered after %v, before the delay", d)
			}
		}()
	}
	wg.Wait()
	cancel()
	res := <-done
	if res == nil || res.Requests != n || res.MaxInFlight < 2 || res.HeldP50Ms < 100 {
		t.Fatalf("result %+v", res)
	}
}
