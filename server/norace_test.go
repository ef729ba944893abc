//go:build !race

package server_test

// raceEnabled: the tests run without -race, and so does the Miniflux
// parser they build.
const raceEnabled = false
