//go:build race

package server_test

// raceEnabled: the tests run with -race, and build the Miniflux parser
// they run so too (it then shares the packages the test build compiled).
const raceEnabled = true
