package readme

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// root is the repository's top, relative to this directory.
const root = "../.."

// readmes returns every README.md of the repository (its modules' and its
// packages'), so a new one is checked without being listed here.
func readmes() ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), "snippets-")) {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() == "README.md" {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// block is one ```go block of a README.
type block struct {
	file string
	line int // of the opening fence
	code string
}

// goBlocks returns the ```go blocks of a Markdown file.
func goBlocks(file string, data []byte) ([]block, error) {
	var out []block
	var cur *block
	var code strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```go":
			cur = &block{file: file, line: n}
			code.Reset()
		case cur != nil && trimmed == "```":
			cur.code = code.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			code.WriteString(line + "\n")
		}
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: unclosed ```go block", file, cur.line)
	}
	return out, sc.Err()
}

// TestREADMESnippetsCompile writes every ```go block of the READMEs into
// a package of its own inside this module and vets them all in one go
// command (type-checking without linking keeps it fast, and the module's
// requirements resolve every import offline). A block must be a complete
// program: package main, its imports, no undefined names.
func TestREADMESnippetsCompile(t *testing.T) {
	files, err := readmes()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"README.md", "core/README.md", "adapters/fiber/README.md"} {
		if !slices.Contains(files, filepath.Join(root, want)) {
			t.Fatalf("%s is not among the READMEs found: %v", want, files)
		}
	}
	var blocks []block
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		bs, err := goBlocks(f, data)
		if err != nil {
			t.Fatal(err)
		}
		blocks = append(blocks, bs...)
	}
	if len(blocks) == 0 {
		t.Fatal("no ```go blocks found")
	}
	// Inside the module (not t.TempDir) so that the module's requirements
	// and the workspace resolve the imports; .gitignore covers it.
	dir, err := os.MkdirTemp(".", "snippets-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	where := map[string]block{}
	for i, b := range blocks {
		name := fmt.Sprintf("s%02d", i)
		if !strings.HasPrefix(strings.TrimSpace(b.code), "package main") {
			t.Errorf("%s:%d: the block is not a complete program (it must start with \"package main\")", b.file, b.line)
			continue
		}
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "main.go"), []byte(b.code), 0o644); err != nil {
			t.Fatal(err)
		}
		where[name] = b
	}
	cmd := exec.Command("go", "vet", "./"+filepath.Base(dir)+"/...")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	// Point each complaint at its README line.
	msg := string(out)
	for name, b := range where {
		msg = strings.ReplaceAll(msg, filepath.Join(filepath.Base(dir), name, "main.go")+":",
			fmt.Sprintf("%s (block at line %d), snippet line ", b.file, b.line))
	}
	t.Fatalf("README snippets do not compile (go vet: %v):\n%s", err, msg)
}

// TestGoBlocks checks the extraction itself.
func TestGoBlocks(t *testing.T) {
	md := "text\n```go\npackage main\n\nfunc main() {}\n```\n```sh\necho x\n```\n  ```go\nx := 1\n  ```\n"
	bs, err := goBlocks("x.md", []byte(md))
	if err != nil || len(bs) != 2 || bs[0].line != 2 || bs[0].code != "package main\n\nfunc main() {}\n" || bs[1].code != "x := 1\n" {
		t.Fatalf("goBlocks = %+v, %v", bs, err)
	}
	if _, err := goBlocks("x.md", []byte("```go\npackage main\n")); err == nil {
		t.Fatal("an unclosed block was accepted")
	}
}
