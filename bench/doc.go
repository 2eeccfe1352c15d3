// Package bench compares authkit with peer libraries doing the same work.
// It holds benchmarks only; nothing imports it, and the peers it pulls in
// never reach an authkit module. Run them with `make bench-peers`; the
// results and the machine they ran on are in README.md.
package bench
