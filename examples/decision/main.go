// Command decision is the reference decision service of
// examples/account-lookup.yaml (see package service):
//
//	go run ./examples/decision -listen 127.0.0.1:8090 -secret s3cret
package main

import (
	"flag"
	"log"
	"net/http"
	"time"

	"github.com/ivrd/ivrd/examples/decision/service"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8090", "address to serve on")
	secret := flag.String("secret", "", "ask.secret of the ivrd configuration (\"\": requests are not checked)")
	flag.Parse()
	srv := &http.Server{Addr: *listen, Handler: service.Demo(*secret), ReadHeaderTimeout: 5 * time.Second}
	log.Printf("decision service on http://%s/lookup", *listen)
	log.Fatal(srv.ListenAndServe())
}
