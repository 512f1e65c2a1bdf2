// Package eventing is the contract between Buytickets functions (DESIGN §5):
// the catalog of events, one Go type per event with a constructor that sets
// every attribute the receivers rely on.
//
// Every event is a CloudEvent 1.0 sent over HTTP in binary mode with JSON
// data. Its type is dev.buytickets.<entity>.<verb>, its source the function
// that emits it (Source), its subject the id of the entity it is about, and
// its id unique per event, so receivers de-duplicate on source and id.
// Events about a versioned entity (tickets, orders) also carry the extension
// entityversion: the entity's version after the change, which replicas use to
// apply the changes in order whatever order they arrive in.
//
// Every sender posts an event with Send, and reads the recipient's answer
// with Classify, the one retry table, after Knative's data plane; receivers
// answer by the same table.
//
// The machinery that makes delivery safe lives in the subpackages: outbox
// records events in the transaction of the change that causes them and
// relays them to the broker after commit; receive applies delivered events
// once, in the transaction that records their receipt; broker stands in for
// the Knative Broker on one machine. The manifests beside this file (Broker,
// Triggers, PingSources, SinkBinding) are what the cluster applies.
package eventing

// Source returns the CloudEvents source of the named function, such as
// "/functions/orders".
func Source(function string) string { return "/functions/" + function }
