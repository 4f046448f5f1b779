// Command streambot is the echo bot of examples/streambot.yaml (see
// package bot): a WebSocket server that takes ivrd's media streams and
// sends every frame it hears straight back, so the caller hears
// themselves through the bidirectional path.
//
//	go run ./examples/streambot -listen 127.0.0.1:8091
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/ivrd/ivrd/examples/streambot/bot"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8091", "address to serve on")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: bot.New(), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("echo bot on ws://%s/media", *listen)
	log.Fatal(srv.ListenAndServe())
}
