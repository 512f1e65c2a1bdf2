package launch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/testenv"
)

// events records what happened, in order, across goroutines.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) { e.mu.Lock(); e.got = append(e.got, s); e.mu.Unlock() }

func (e *events) list() string { e.mu.Lock(); defer e.mu.Unlock(); return strings.Join(e.got, ", ") }

// fn is a function with background work that records its life.
type fn struct{ log *events }

func (f fn) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
}

func (f fn) Run(ctx context.Context) {
	f.log.add("run")
	<-ctx.Done()
	f.log.add("run stopped")
}

// closer records when it is closed.
type closer struct {
	name string
	log  *events
}

func (c closer) Close() error { c.log.add(c.name + " closed"); return nil }

// db is a store.Store that a database setting opens; closing it is
// recorded in log, which the test sets once it has the store.
type db struct {
	store.Store
	name string
	log  *events
}

func (d *db) Close() error {
	if d.log != nil {
		d.log.add("store " + d.name + " closed")
	}
	return nil
}

// DBSetting is what firestore.Database is to a command: it opens the store.
type DBSetting struct {
	Name string `env:"TEST_DATABASE" required:"true"`
}

func (d *DBSetting) OpenStore(context.Context) (store.Store, error) { return &db{name: d.Name}, nil }

type settings struct {
	launch.Settings
	Greeting string `env:"TEST_GREETING" required:"true"`
	DBSetting
}

func TestServeBuildsServesAndStopsTheFunctionThenClosesWhatItOpened(t *testing.T) {
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", fmt.Sprint(port))
	t.Setenv("LOG_LEVEL", "error")
	t.Setenv("TEST_GREETING", "hello")
	t.Setenv("TEST_DATABASE", "tickets")
	log := &events{}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
			d, ok := env.Store.(*db)
			if s.Greeting != "hello" || !ok || env.Logger == nil {
				return nil, fmt.Errorf("built with %+v and %+v", s, env)
			}
			d.log = log
			env.Close(closer{"scheduler", log})
			return fn{log}, nil
		})
	}()

	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusNoContent {
				t.Fatalf("served %d, want the function's 204", res.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never served: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v", err)
	}
	if got, want := log.list(), "run, run stopped, scheduler closed, store tickets closed"; !strings.HasSuffix(got, want) {
		t.Errorf("life = %q, want it to end %q", got, want)
	}
}

func TestServeStopsAtAMissingSettingBeforeOpeningAnything(t *testing.T) {
	t.Setenv("TEST_GREETING", "")
	t.Setenv("TEST_DATABASE", "")
	built := false
	err := launch.Serve(t.Context(), func(context.Context, *settings, launch.Env) (launch.Function, error) {
		built = true
		return fn{}, nil
	})
	if err == nil || !strings.Contains(err.Error(), "missing required settings TEST_GREETING, TEST_DATABASE") || built {
		t.Errorf("Serve = %v (built: %v), want the missing settings named and nothing built", err, built)
	}
}

func TestAFailedBuildIsServesError(t *testing.T) {
	t.Setenv("TEST_GREETING", "hello")
	t.Setenv("TEST_DATABASE", "tickets")
	want := errors.New("no key")
	err := launch.Serve(t.Context(), func(context.Context, *settings, launch.Env) (launch.Function, error) {
		return nil, want
	})
	if !errors.Is(err, want) {
		t.Errorf("Serve = %v, want the build's error", err)
	}
}
