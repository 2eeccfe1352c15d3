//go:build !go1.26

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// artifactDir is where the browser test saves its screenshots before Go
// 1.26 (no testing.T.ArtifactDir): testdata/artifacts/<test> beside this
// file, which git ignores.
func artifactDir(t *testing.T) string {
	dir := filepath.Join("testdata", "artifacts", filepath.FromSlash(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
