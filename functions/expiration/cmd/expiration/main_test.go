package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/cloudtasks/apiv2/cloudtaskspb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("expiration", "K_SINK=http://broker", "EXPIRE_URL=https://buytickets.dev/tasks/expire",
		"CLOUD_TASKS_QUEUE=projects/p/locations/l/queues/expiration", "TASKS_INVOKER_EMAIL=invoker@p.iam.gserviceaccount.com")
	testenv.CommandFailsEach(t, required.Refusals("expiration", map[string]string{
		"EXPIRE_URL=/tasks/expire":     "config: EXPIRE_URL must be an absolute http(s) URL",
		"CLOUD_TASKS_QUEUE=expiration": "config: CLOUD_TASKS_QUEUE must be projects/PROJECT/locations/LOCATION/queues/QUEUE",
	}))
}

func TestServesOnTheEmulatorsSchedulesAndCancelsOnCloudTasks(t *testing.T) {
	ctx := t.Context()
	tasksHost, queue := testenv.CloudTasksQueue(t, "expiration")
	admin := testenv.CloudTasksClient(t, tasksHost)
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusAccepted) }))
	defer sink.Close()
	issuer := eventingtest.ClusterEnv(t, "expiration")
	cmd := testenv.NewCommand(t)
	base := cmd.URL
	for k, v := range map[string]string{
		"K_SINK":     sink.URL,
		"EXPIRE_URL": base + "/tasks/expire", "TASKS_INVOKER_EMAIL": "invoker@buytickets-test.iam.gserviceaccount.com",
		"CLOUD_TASKS_QUEUE": queue, "CLOUD_TASKS_EMULATOR_HOST": tasksHost,
	} {
		t.Setenv(k, v)
	}
	testenv.SetFirestoreEnv(t, "expiration")
	cmd.Serve(realMain)
	receiver := eventingtest.Receiver{TB: t, URL: base, Function: "expiration", Issuer: issuer}

	// An order a day from expiry: its task waits on the queue, and goes
	// when the order is cancelled.
	id := testenv.UniqueID("order")
	task := queue + "/tasks/expire-" + id + "-1"
	created := eventingtest.Event(t, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: id, Status: "created", UserID: "buyer", ExpiresAt: time.Now().Add(24 * time.Hour),
		Ticket: eventing.OrderCreatedTicket{ID: "t1", Price: 20, Reservation: 1},
	})
	receiver.MustDeliver(created)
	testenv.Eventually(t, 30*time.Second, "the task on the queue", func() bool {
		_, err := admin.GetTask(ctx, &cloudtaskspb.GetTaskRequest{Name: task})
		return err == nil
	})
	cancelled := eventingtest.Event(t, eventing.NewOrderCancelled, eventing.OrderCancelled{
		ID: id, Version: 1, Reason: "buyer", Ticket: eventing.OrderCancelledTicket{ID: "t1", Reservation: 1},
	})
	receiver.MustDeliver(cancelled)
	testenv.Eventually(t, 30*time.Second, "the task deleted", func() bool {
		_, err := admin.GetTask(ctx, &cloudtaskspb.GetTaskRequest{Name: task})
		return status.Code(err) == codes.FailedPrecondition || status.Code(err) == codes.NotFound
	})

	// Production takes no call without the invoker's token.
	res, err := http.Post(base+"/tasks/expire", "application/json", strings.NewReader(`{"orderId":"`+id+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("/tasks/expire without a token: %d, want 401", res.StatusCode)
	}

	cmd.Stop()
}
