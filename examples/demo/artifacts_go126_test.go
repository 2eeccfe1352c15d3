//go:build go1.26

package main

import "testing"

// artifactDir is where the browser test saves its screenshots: the test's
// artifact directory (Go 1.26's testing). It is kept under -outputdir
// when the test runs with -artifacts:
//
//	go test ./examples/demo -run TestBrowser -artifacts -outputdir /tmp/demo-shots
//
// and removed after the test otherwise.
func artifactDir(t *testing.T) string { return t.ArtifactDir() }
