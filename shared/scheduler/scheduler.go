// Package scheduler calls an HTTP endpoint at a time: a Task names the call,
// Schedule makes it due at Task.At, and Cancel takes it back by name.
//
// Two drivers keep one contract (DESIGN §1, §8) and pass the conformance
// suite in scheduler/schedulertest: scheduler/cloudtasks for production,
// where Cloud Tasks makes the call with an OIDC token, and
// scheduler/embedded for the embedded default, which keeps its tasks in a
// function's own store. scheduler/relay makes any driver transactional:
// the intent to schedule or cancel is written in the caller's store
// transaction and applied after commit.
//
// The contract:
//   - a task is called with POST, its Body and Content-Type
//     application/json, never before At, and as soon after it as the driver
//     can;
//   - the call is repeated, with backoff, until the endpoint answers 2xx,
//     so it is made at least once and the endpoint must be idempotent;
//   - Schedule of a name already scheduled succeeds and changes nothing
//     (the first task of a name wins), so retried deliveries of the same
//     intent schedule one call;
//   - Cancel of a name that is unknown, fired or already cancelled
//     succeeds; a cancelled task is not called, unless its call was already
//     under way;
//   - a name is only ever used for one task: Cloud Tasks refuses to reuse
//     a name for about an hour after its task fired or was deleted, so
//     callers derive names from what makes the task unique.
package scheduler

import (
	"context"
	"fmt"
	"time"
)

// Task is one scheduled HTTP call.
type Task struct {
	// Name identifies the task within its queue or store; see ValidName.
	Name string
	// URL is the endpoint called, an absolute http(s) URL.
	URL string
	// Body is the JSON body of the call.
	Body []byte
	// At is when the call is due.
	At time.Time
	// Trace is the W3C traceparent of the work that scheduled the task
	// (tracing.Traceparent), sent with the call so that it continues that
	// trace; none when empty.
	Trace string
}

// Scheduler schedules and cancels tasks.
type Scheduler interface {
	// Schedule makes t due at t.At. Scheduling a name that is already
	// scheduled succeeds and keeps the first task.
	Schedule(ctx context.Context, t Task) error
	// Cancel takes back the task name. A name that is unknown, fired or
	// already cancelled is not an error.
	Cancel(ctx context.Context, name string) error
}

// MaxNameLen is the longest task name, Cloud Tasks' limit.
const MaxNameLen = 500

// ValidName reports whether name can name a task in every driver: 1 to
// MaxNameLen ASCII letters, digits, hyphens and underscores, as Cloud Tasks
// allows.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// CheckName returns an error naming a task name that ValidName refuses: a
// programming error of the caller, which derives names.
func CheckName(name string) error {
	if !ValidName(name) {
		return fmt.Errorf("scheduler: invalid task name %q: want 1 to %d letters, digits, '-' or '_'", name, MaxNameLen)
	}
	return nil
}

// The headers a task's call carries besides its body, in both drivers, as
// Cloud Tasks sends them.
const (
	// HeaderTaskName carries the task's name (Cloud Tasks sends the short
	// name, the part after ".../tasks/").
	HeaderTaskName = "X-CloudTasks-TaskName"
	// HeaderRetryCount carries how many times the call was made before.
	HeaderRetryCount = "X-CloudTasks-TaskRetryCount"
)
