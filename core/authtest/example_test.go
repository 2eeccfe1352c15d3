package authtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/authkit-go/authkit/core/authtest"
)

// Recorder turns any http.Handler into the App a Factory returns.
func ExampleRecorder() {
	app := authtest.Recorder(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	resp := app(httptest.NewRequest("GET", "/", nil))
	fmt.Println(resp.StatusCode)
	// Output: 418
}
