package feed

// Hooks for the external tests: the set's table renewal.

// SetRenewAbove sets the dead text that makes the set copy the rest into
// a new table, and returns a func that puts it back.
func SetRenewAbove(n int64) (restore func()) {
	old := renewAbove
	renewAbove = n
	return func() { renewAbove = old }
}

// TextBytes is the text of the posts the set holds, and all the text of
// its current table.
func (s *Set) TextBytes() (held, all int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.textLive, s.textAll
}

// Records is how many records the set's table has room for: what edits
// would grow without bound if refs were never reused.
func (s *Set) Records() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.n)
}
