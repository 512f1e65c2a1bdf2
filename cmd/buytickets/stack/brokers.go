package stack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// brokerRun is the embedded broker while it runs.
type brokerRun struct {
	broker *broker.Broker
	cancel context.CancelFunc
	done   chan struct{}
}

// BrokerFile is the broker's store under the data folder.
func BrokerFile(dataDir string) string { return filepath.Join(dataDir, "broker.db") }

// StartBroker starts the embedded broker on the Trigger manifests of
// eventing/, delivering to the functions' service addresses. Its ingress
// keeps one address across stops and starts, so functions' K_SINK stays
// valid; while it is stopped, publishing fails and outboxes hold events.
func (s *Stack) StartBroker() error {
	ctx := s.ctx
	s.brokerMu.Lock()
	defer s.brokerMu.Unlock()
	if s.broker != nil {
		return nil
	}
	triggers, err := manifest.LoadTriggers(eventing.Manifests, "default")
	if err != nil {
		return err
	}
	db, err := sqlite.Open(ctx, BrokerFile(s.opts.DataDir))
	if err != nil {
		return fmt.Errorf("broker: %w", err)
	}
	b, err := broker.New(broker.Options{
		Store:        db,
		Triggers:     triggers,
		Chaos:        s.opts.Chaos,
		BackoffScale: s.opts.BackoffScale,
		Auth: broker.Auth{
			Verifier:   s.eventKey.Verifier(s.plane.BrokerAudience()),
			Publishers: eventing.Publishers(s.plane),
			Tokens:     func(subject string) identity.TokenSource { return s.eventKey.Signer(subject) },
		},
		Resolve: func(ref manifest.Ref) (*url.URL, error) {
			if be, ok := s.backends[ref.Name]; ok && ref.Kind == "Service" {
				return be.addr, nil
			}
			return nil, fmt.Errorf("no function %s in the stack", ref.Name)
		},
	})
	if err != nil {
		db.Close()
		return fmt.Errorf("broker: %w", err)
	}
	addr := "127.0.0.1:0"
	if s.sink != "" {
		addr = s.sink[len("http://"):]
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		db.Close()
		return fmt.Errorf("broker ingress: %w", err)
	}
	s.sink = "http://" + ln.Addr().String()

	bctx, cancel := context.WithCancel(logging.WithLogger(ctx, s.logger.With("function", "broker")))
	run := &brokerRun{broker: b, cancel: cancel, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.Handle("POST /", b.Ingress())
	mux.Handle("GET /healthz", server.Health())
	served := make(chan struct{})
	forget := s.listening("broker ingress", ln)
	go func() {
		defer close(served)
		defer forget()
		if err := server.ServeListener(bctx, ln, mux); err != nil {
			s.logger.Warn("broker ingress stopped", "error", err)
		}
	}()
	go func() {
		defer close(run.done)
		if err := b.Run(bctx); err != nil {
			s.logger.Warn("broker dispatcher stopped", "error", err)
		}
		<-served
		db.Close()
	}()
	s.broker = run
	return nil
}

// StopBroker stops the broker, as an outage would: its ingress refuses
// connections and pending deliveries wait in its store.
func (s *Stack) StopBroker() {
	s.brokerMu.Lock()
	defer s.brokerMu.Unlock()
	if s.broker == nil {
		return
	}
	s.broker.cancel()
	<-s.broker.done
	s.broker = nil
}

// DeadLetters lists the broker's dead letters.
func (s *Stack) DeadLetters(ctx context.Context) ([]broker.DeadLetter, error) {
	s.brokerMu.Lock()
	run := s.broker
	s.brokerMu.Unlock()
	if run == nil {
		return nil, fmt.Errorf("stack.DeadLetters: the broker is stopped")
	}
	return run.broker.DeadLetters(ctx)
}
