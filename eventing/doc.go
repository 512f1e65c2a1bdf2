// Package eventing is the contract between Buytickets functions: the event
// catalog, the transactional outbox and the receivers that apply events in
// version order. Its machinery arrives with the events work; for now it only
// names the source every function publishes under.
package eventing

// Source returns the CloudEvents source of the named function, such as
// "/functions/orders".
func Source(function string) string { return "/functions/" + function }
