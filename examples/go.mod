module github.com/authkit-go/authkit/examples

go 1.25.0

require (
	github.com/authkit-go/authkit/adapters/echo v0.0.0
	github.com/authkit-go/authkit/adapters/fiber v0.0.0
	github.com/authkit-go/authkit/adapters/gin v0.0.0
	github.com/authkit-go/authkit/adapters/nethttp v0.0.0
	github.com/authkit-go/authkit/core v0.0.0
)

replace github.com/authkit-go/authkit/core => ../core

replace github.com/authkit-go/authkit/adapters/gin => ../adapters/gin

replace github.com/authkit-go/authkit/adapters/echo => ../adapters/echo

replace github.com/authkit-go/authkit/adapters/fiber => ../adapters/fiber

replace github.com/authkit-go/authkit/adapters/nethttp => ../adapters/nethttp
