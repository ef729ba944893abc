//go:build race

package main

// raceEnabled: the tests run with -race, and build the feedd binary they
// run so too (it then shares the packages the test build compiled).
const raceEnabled = true
