// Package cloudtasks is the production scheduler driver: each task is an
// HTTP task on a Cloud Tasks queue, which calls the task's URL at its time
// with an OIDC token of the invoker service account, so the endpoint can be
// public and still refuse everyone else (DESIGN §4).
//
// Tasks are named queue + "/tasks/" + Task.Name, so Cloud Tasks itself
// de-duplicates them: a second Schedule of a name is refused with
// AlreadyExists, which this driver answers as success. Cloud Tasks keeps a
// name for about an hour after its task ran or was deleted (its emulator
// for as long as it runs), and refuses to reuse it meanwhile.
//
// Retries follow the queue's retry configuration (max attempts, backoff),
// set when the queue is created; see the README's deploy section.
package cloudtasks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	cloudtasks "cloud.google.com/go/cloudtasks/apiv2"
	"cloud.google.com/go/cloudtasks/apiv2/cloudtaskspb"
	"google.golang.org/api/option"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/buytickets/buytickets/shared/scheduler"
)

// Config names the queue and the identity tasks call with (DESIGN §7).
type Config struct {
	// Queue is the queue's full name (CLOUD_TASKS_QUEUE),
	// "projects/P/locations/L/queues/Q".
	Queue string `env:"CLOUD_TASKS_QUEUE" required:"true"`
	// EmulatorHost, when set, points the driver at a Cloud Tasks emulator
	// (host:port, CLOUD_TASKS_EMULATOR_HOST) instead of Google Cloud.
	EmulatorHost string `env:"CLOUD_TASKS_EMULATOR_HOST"`
	// ServiceAccountEmail is the invoker service account whose OIDC token
	// each call carries (TASKS_INVOKER_EMAIL), required from the
	// environment; the account enqueuing needs iam.serviceAccounts.actAs on
	// it. A Config built in code may leave it empty (tests against the
	// emulator), and calls then carry no token.
	ServiceAccountEmail string `env:"TASKS_INVOKER_EMAIL" required:"true"`
	// Audience is the token's audience (EXPIRE_AUDIENCE); when empty, Cloud
	// Tasks uses the task's URL.
	Audience string `env:"EXPIRE_AUDIENCE"`
}

// Validate reports a queue name that is not a full queue path.
func (c *Config) Validate() error {
	if !queuePath(c.Queue) {
		return errors.New("CLOUD_TASKS_QUEUE must be projects/PROJECT/locations/LOCATION/queues/QUEUE")
	}
	return nil
}

// queuePath reports whether name is projects/P/locations/L/queues/Q, none
// of P, L and Q empty.
func queuePath(name string) bool {
	parts := strings.Split(name, "/")
	return len(parts) == 6 && parts[0] == "projects" && parts[2] == "locations" && parts[4] == "queues" &&
		!slices.Contains(parts, "")
}

// Scheduler schedules tasks on one Cloud Tasks queue.
type Scheduler struct {
	client *cloudtasks.Client
	cfg    Config
}

var _ scheduler.Scheduler = (*Scheduler)(nil)

// Open connects to Cloud Tasks, or to the emulator cfg names, with the
// application default credentials (Workload Identity in production).
func Open(ctx context.Context, cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cloudtasks.Open: %w", err)
	}
	var opts []option.ClientOption
	if cfg.EmulatorHost != "" {
		// The emulator speaks plain gRPC and checks no credentials.
		conn, err := grpc.NewClient(cfg.EmulatorHost, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, fmt.Errorf("cloudtasks.Open: dial emulator: %w", err)
		}
		opts = append(opts, option.WithGRPCConn(conn))
	}
	client, err := cloudtasks.NewClient(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloudtasks.Open: %w", err)
	}
	return &Scheduler{client: client, cfg: cfg}, nil
}

// Close closes the connection.
func (s *Scheduler) Close() error { return s.client.Close() }

// Schedule creates t as an HTTP task due at t.At: a POST of t.Body as
// JSON, with an OIDC token when Config.ServiceAccountEmail is set and the
// task's traceparent when it has one. A task
// of the same name, scheduled before (AlreadyExists), is success.
func (s *Scheduler) Schedule(ctx context.Context, t scheduler.Task) error {
	if err := scheduler.CheckName(t.Name); err != nil {
		return fmt.Errorf("cloudtasks.Schedule: %w", err)
	}
	if t.At.IsZero() {
		return fmt.Errorf("cloudtasks.Schedule: task %s has no time", t.Name)
	}
	req := &cloudtaskspb.HttpRequest{
		Url:        t.URL,
		HttpMethod: cloudtaskspb.HttpMethod_POST,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       t.Body,
	}
	if t.Trace != "" {
		req.Headers["traceparent"] = t.Trace
	}
	if s.cfg.ServiceAccountEmail != "" {
		req.AuthorizationHeader = &cloudtaskspb.HttpRequest_OidcToken{OidcToken: &cloudtaskspb.OidcToken{
			ServiceAccountEmail: s.cfg.ServiceAccountEmail,
			Audience:            s.cfg.Audience,
		}}
	}
	_, err := s.client.CreateTask(ctx, &cloudtaskspb.CreateTaskRequest{
		Parent: s.cfg.Queue,
		Task: &cloudtaskspb.Task{
			Name:         s.taskName(t.Name),
			ScheduleTime: timestamppb.New(t.At),
			MessageType:  &cloudtaskspb.Task_HttpRequest{HttpRequest: req},
		},
	})
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("cloudtasks.Schedule %s: %w", t.Name, err)
	}
	return nil
}

// Cancel deletes the task name. A task that ran, was deleted or never
// existed (NotFound) is success.
func (s *Scheduler) Cancel(ctx context.Context, name string) error {
	if err := scheduler.CheckName(name); err != nil {
		return fmt.Errorf("cloudtasks.Cancel: %w", err)
	}
	err := s.client.DeleteTask(ctx, &cloudtaskspb.DeleteTaskRequest{Name: s.taskName(name)})
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("cloudtasks.Cancel %s: %w", name, err)
	}
	return nil
}

func (s *Scheduler) taskName(name string) string { return s.cfg.Queue + "/tasks/" + name }
