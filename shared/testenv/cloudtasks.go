package testenv

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	gcloudtasks "cloud.google.com/go/cloudtasks/apiv2"
	"cloud.google.com/go/cloudtasks/apiv2/cloudtaskspb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// cloudTasksBinary is the Cloud Tasks emulator that `make tools` builds
// into tools/bin (github.com/aertje/cloud-tasks-emulator, pinned in
// tools/go.mod).
const cloudTasksBinary = "cloud-tasks-emulator"

// The Cloud Tasks emulator of this test binary, started on first use.
var cloudTasks *process

// CloudTasksEmulator returns the host:port of a Cloud Tasks emulator for
// this test binary, starting it on first use. It speaks gRPC without TLS
// and starts with no queue: tests create their own, one each, so they
// never see each other's tasks. The emulator remembers every task name it
// has seen until it stops, as Cloud Tasks does for about an hour, so tests
// name their tasks afresh (UniqueID).
func CloudTasksEmulator(tb testing.TB) string {
	tb.Helper()
	return standIn(tb, &cloudTasks, "cloud tasks emulator", tool(cloudTasksBinary, "the Cloud Tasks emulator"),
		func(bin string, port int) *exec.Cmd {
			return exec.Command(bin, "-host", "127.0.0.1", "-port", fmt.Sprint(port))
		}, tcpReady)
}

// CloudTasksClient returns a client of the Cloud Tasks emulator at host
// (CloudTasksEmulator), closed when tb ends, for a test that creates or
// inspects queues and tasks as the deploy and an operator would.
func CloudTasksClient(tb testing.TB, host string) *gcloudtasks.Client {
	tb.Helper()
	conn, err := grpc.NewClient(host, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := gcloudtasks.NewClient(context.Background(), option.WithGRPCConn(conn))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// CloudTasksQueue creates a queue of the test's own, named afresh after
// prefix, on this binary's Cloud Tasks emulator, as the deploy creates
// production's, and returns the emulator's host:port and the queue's
// name (projects/…/locations/…/queues/…).
func CloudTasksQueue(tb testing.TB, prefix string) (host, queue string) {
	tb.Helper()
	host = CloudTasksEmulator(tb)
	const parent = "projects/buytickets-test/locations/here"
	q, err := CloudTasksClient(tb, host).CreateQueue(context.Background(), &cloudtaskspb.CreateQueueRequest{
		Parent: parent,
		Queue:  &cloudtaskspb.Queue{Name: parent + "/queues/" + UniqueID(prefix)},
	})
	if err != nil {
		tb.Fatalf("create queue: %v", err)
	}
	return host, q.GetName()
}

// tcpReady reports whether addr accepts connections.
func tcpReady(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}
