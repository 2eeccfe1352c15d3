package tokenstore

// Limits exposes a MemoryStore's capacity settings, and whether it has a
// clock, to the tests of its options.
func (m *MemoryStore) Limits() (maxEntries, perSubject int, hasClock bool) {
	return m.max, m.perSubject, m.now != nil
}
