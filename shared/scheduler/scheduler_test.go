package scheduler_test

import (
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/scheduler"
)

func TestValidNameIsWhatCloudTasksAllows(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]bool{
		"expire-0123abcd-1": true,
		"A_b-9":             true,
		strings.Repeat("n", scheduler.MaxNameLen): true,
		"": false,
		strings.Repeat("n", scheduler.MaxNameLen+1): false,
		"a/b":   false,
		"a.b":   false,
		"a b":   false,
		"tâche": false,
		"projects/p/locations/l/queues/q/tasks/expire": false,
	} {
		if got := scheduler.ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
		if err := scheduler.CheckName(name); (err == nil) != want {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
}
