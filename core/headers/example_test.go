package headers_test

import (
	"context"
	"fmt"

	"github.com/authkit-go/authkit/core/headers"
)

func ExampleNew() {
	p, err := headers.New(
		headers.WithHeader(headers.ContentSecurityPolicy, "default-src 'self'; img-src 'self' data:"),
		headers.Without(headers.PermissionsPolicy),
	)
	if err != nil {
		panic(err)
	}
	_, _ = p.Apply(context.Background(), func(name, value string) {
		if name == headers.ContentSecurityPolicy || name == headers.PermissionsPolicy {
			fmt.Printf("%s: %s\n", name, value)
		}
	}, true)
	// Output: Content-Security-Policy: default-src 'self'; img-src 'self' data:
}
