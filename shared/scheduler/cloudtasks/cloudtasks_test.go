package cloudtasks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/idtoken"

	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/cloudtasks"
	"github.com/buytickets/buytickets/shared/scheduler/schedulertest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// open returns a scheduler on a fresh queue of the emulator.
func open(tb testing.TB, cfg cloudtasks.Config) *cloudtasks.Scheduler {
	tb.Helper()
	cfg.EmulatorHost, cfg.Queue = testenv.CloudTasksQueue(tb, "expiration")
	s, err := cloudtasks.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformanceOnTheEmulator(t *testing.T) {
	schedulertest.Run(t, func(t *testing.T) scheduler.Scheduler {
		return open(t, cloudtasks.Config{})
	})
}

func TestCallsCarryAnOIDCTokenOfTheInvoker(t *testing.T) {
	t.Parallel()
	const (
		invoker  = "tasks-invoker@buytickets-test.iam.gserviceaccount.com"
		audience = "https://buytickets.dev/tasks/expire"
	)
	s := open(t, cloudtasks.Config{ServiceAccountEmail: invoker, Audience: audience})
	tg := schedulertest.NewTarget(t)
	name := testenv.UniqueID("oidc")
	if err := s.Schedule(context.Background(), scheduler.Task{Name: name, URL: tg.URL(name), Body: []byte(`{}`), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	call := tg.Wait(t, name, 1)[0]
	token, ok := strings.CutPrefix(call.Header.Get("Authorization"), "Bearer ")
	if !ok {
		t.Fatalf("call without a bearer token: Authorization %q", call.Header.Get("Authorization"))
	}
	// The emulator signs with a key of its own: only the claims are checked.
	p, err := idtoken.ParsePayload(token)
	if err != nil {
		t.Fatal(err)
	}
	if p.Audience != audience || p.Claims["email"] != invoker {
		t.Errorf("token for %q as %v, want %q as %q", p.Audience, p.Claims["email"], audience, invoker)
	}
}

func TestConfigRefusesAQueueThatIsNotAFullPath(t *testing.T) {
	t.Parallel()
	for _, queue := range []string{"", "expiration", "projects/p/queues/q", "projects/p/locations/l/queues/", "projects/p/locations/l/queues/q/tasks/t"} {
		cfg := cloudtasks.Config{Queue: queue}
		if err := cfg.Validate(); err == nil {
			t.Errorf("queue %q accepted", queue)
		}
		if _, err := cloudtasks.Open(context.Background(), cfg); err == nil {
			t.Errorf("Open with queue %q succeeded", queue)
		}
	}
	cfg := cloudtasks.Config{Queue: "projects/p/locations/europe-west1/queues/expiration"}
	if err := cfg.Validate(); err != nil {
		t.Errorf("full queue path refused: %v", err)
	}
}
