// Package feed is feedd's domain: a Post and its Body; the Set of posts
// and the immutable Snapshots it publishes, with the View of each feed;
// the kinds of feed, as one table (Kinds); and the Change each published
// snapshot makes, which consumers follow. It reads no files and serves
// nothing: package parse makes posts from files' bytes, the watcher brings
// them, render and server make documents and responses from snapshots,
// and a BodyStore (package bodies) keeps the bodies out of the heap.
package feed
