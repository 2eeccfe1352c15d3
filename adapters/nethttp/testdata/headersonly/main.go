// Command headersonly is the smallest authkit program: net/http with the
// security headers and nothing else. TestHeadersOnlyLinksNoRedisNorJWT
// lists what it links.
package main

import (
	"log"
	"net/http"

	authhttp "github.com/authkit-go/authkit/adapters/nethttp"
)

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", authhttp.Middleware()(mux)))
}
