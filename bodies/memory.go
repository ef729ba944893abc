package bodies

import "sync"

// Memory keeps bodies in the heap, in a map: the Store's methods without
// files, for small sites (feed.body_dir: memory) and tests.
type Memory struct {
	mu     sync.RWMutex
	closed bool
	lastID uint64
	bodies map[uint64][]byte
	bytes  int64
}

// NewMemory makes an empty Memory.
func NewMemory() *Memory {
	return &Memory{bodies: make(map[uint64][]byte)}
}

// Put stores a copy of b under a new id, which is never 0 and never given
// again, even after Release.
func (m *Memory) Put(b []byte) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return 0, errClosed
	}
	m.lastID++
	m.bodies[m.lastID] = append([]byte{}, b...)
	m.bytes += int64(len(b))
	return m.lastID, nil
}

// Get returns a fresh copy of the bytes stored under id, or ErrNotFound.
func (m *Memory) Get(id uint64) ([]byte, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, errClosed
	}
	b, ok := m.bodies[id]
	if !ok {
		return nil, ErrNotFound
	}
	return append([]byte{}, b...), nil
}

// Replace stores a copy of b under id instead of its bytes. It returns
// ErrNotFound for an id never put or released.
func (m *Memory) Replace(id uint64, b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return errClosed
	}
	old, ok := m.bodies[id]
	if !ok {
		return ErrNotFound
	}
	m.bodies[id] = append([]byte{}, b...)
	m.bytes += int64(len(b)) - int64(len(old))
	return nil
}

// Release forgets id's bytes. Unknown and released ids are ignored.
func (m *Memory) Release(id uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.bodies[id]; ok {
		delete(m.bodies, id)
		m.bytes -= int64(len(b))
	}
}

// Stats returns the number and bytes of the bodies held; the figures about
// files are 0.
func (m *Memory) Stats() Stats {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return Stats{Bodies: len(m.bodies), LiveBytes: m.bytes}
}

// Close forgets every body. Put, Get and Replace fail afterwards; Release
// does nothing.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.bodies, m.bytes = nil, 0
	return nil
}
