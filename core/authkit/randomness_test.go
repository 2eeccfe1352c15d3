package authkit_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestSecretsComeFromCryptoRand: no package of the core module imports
// math/rand, so every secret authkit makes — session ids, token ids, TOTP
// secrets, recovery codes, OAuth state, nonce and PKCE verifier, salts,
// keys — comes from crypto/rand (ASVS 5.0 6.5.3, 7.2.3). Tests and the
// test helpers under authtest (which pick free ports) are left out.
func TestSecretsComeFromCryptoRand(t *testing.T) {
	const module = ".." // core/, from core/authkit
	files := 0
	err := filepath.WalkDir(module, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" || d.Name() == "authtest" || (path != module && strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		files++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == "math/rand" || strings.HasPrefix(p, "math/rand/") {
				t.Errorf("%s imports %s: secrets must come from crypto/rand", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("read only %d files of the core module: the walk missed it", files)
	}
}
