// Command gencommon builds common.bin, the password package's embedded list
// of common passwords, from a newline-separated password list ordered by
// frequency.
//
// It keeps the first -top entries and, from the rest, every entry of at
// least -minlen bytes (the ones that can pass the default length rule), and
// writes each as the first 8 bytes of its SHA-256, as sorted big-endian
// uint64s without duplicates.
//
//	go run ./internal/gencommon -in 10_million_password_list_top_1M.txt -out common.bin
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
)

func main() {
	in := flag.String("in", "", "password list, one per line, most frequent first")
	out := flag.String("out", "common.bin", "output file")
	top := flag.Int("top", 100_000, "keep this many entries from the top of the list")
	minLen := flag.Int("minlen", 10, "beyond -top, keep entries at least this many bytes long")
	flag.Parse()
	if err := run(*in, *out, *top, *minLen); err != nil {
		fmt.Fprintln(os.Stderr, "gencommon:", err)
		os.Exit(1)
	}
}

func run(in, out string, top, minLen int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var keys []uint64
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		pw := strings.TrimSuffix(sc.Text(), "\r")
		if pw == "" {
			continue
		}
		n++
		if n > top && len(pw) < minLen {
			continue
		}
		sum := sha256.Sum256([]byte(pw))
		keys = append(keys, binary.BigEndian.Uint64(sum[:8]))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	buf := make([]byte, 8*len(keys))
	for i, k := range keys {
		binary.BigEndian.PutUint64(buf[8*i:], k)
	}
	fmt.Fprintf(os.Stderr, "gencommon: %d lines read, %d entries written\n", n, len(keys))
	return os.WriteFile(out, buf, 0o644)
}
