//go:build !race

package main

// raceEnabled: the tests run without -race, and so does the feedd binary
// they build.
const raceEnabled = false
