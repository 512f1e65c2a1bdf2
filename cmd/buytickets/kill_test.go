package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// TestKilledMidFlightLosesNothingAndDoublesNothing is the fault of DESIGN
// §8: the command, under load from sellers and buyers, is killed with
// SIGKILL while requests are under way, and started again on the same
// DATA_DIR. Everything it answered 2xx for before the kill is there after,
// and once the events it held have gone round, every function agrees:
// each live order holds its ticket, no ticket has two, each paid order is
// complete with one payment, and no change was applied twice.
func TestKilledMidFlightLosesNothingAndDoublesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("killing the command under load takes minutes; run without -short")
	}
	bin, data := buildCommand(t), t.TempDir()
	// Payouts fall due seconds after each sale, so that transfers are
	// under way, too, when the kill comes.
	first := runCommand(t, bin, data, payoutDelay)
	l := startLoad(t, first.url, data)

	// The kill must find work done and work under way: enough of every
	// kind answered, and a sign-up the server is still hashing (scrypt
	// takes far longer than the 100 ms it has been waiting), so at least
	// one request is surely cut off.
	deadline := time.Now().Add(5 * time.Minute)
	for !l.enough() || l.signUpUnderWay() < 100*time.Millisecond {
		if time.Now().After(deadline) || l.failed() {
			l.stop(first)
			t.Fatalf("the load did too little before the kill: %s", l.summary())
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.stop(first)
	if first.err == nil || !strings.Contains(first.err.Error(), "killed") {
		t.Fatalf("the command exited with %v, want killed", first.err)
	}
	t.Logf("killed after %s, with %d requests cut off", l.summary(), l.cutOff.Load())
	if l.cutOff.Load() == 0 {
		t.Fatal("no request was under way when the command was killed")
	}

	stores := openStores(t, data)
	t.Logf("at the kill, %s", stores.inFlight())

	second := runCommand(t, bin, data, payoutDelay)
	l.api.base = second.url
	l.checkKept(stores)
	// A charge cut off by the kill is only re-driven once it is
	// DefaultRedriveAfter old.
	settle := time.Now().Add(stripeapi.DefaultRedriveAfter + 3*time.Minute)
	start := time.Now()
	for {
		problems := l.problems(stores)
		if len(problems) == 0 {
			break
		}
		if time.Now().After(settle) {
			t.Fatalf("after the restart, still %d problems:\n%s", len(problems), strings.Join(problems, "\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("settled %v after the restart", time.Since(start).Round(time.Second))
}

// payoutDelay makes a sale's payout due a moment after it.
const payoutDelay = "PAYOUT_DELAY=2s"

// Thresholds of work the load must have done before the kill.
const (
	minTickets  = 12
	minOrders   = 8
	minPayments = 3
	minCancels  = 2
	minSignUps  = 1 // sign-ups while the others trade
)

// traders trade concurrently, each as a seller and a buyer of their own,
// for at most rounds rounds: fewer tickets than one page of a listing.
const (
	traders = 4
	rounds  = 20
)

// load is sellers and buyers using the marketplace at once, and what it
// answered 2xx to them.
type load struct {
	t   *testing.T
	api *api
	wg  sync.WaitGroup

	killed        atomic.Bool
	cutOff        atomic.Int64 // requests that got no answer: the kill cut them off
	signUpStarted atomic.Int64 // unix nanoseconds of the sign-up under way; 0 when none
	unexpected    atomic.Bool

	mu        sync.Mutex
	users     []*account // every sign-up answered 201
	pairs     [][2]*account
	signUps   int // during the trading
	tickets   map[string]ticketJSON
	orders    map[string]orderJSON
	buyerOf   map[string]*account // by order id
	payments  map[string]string   // payment id → order id
	cancelled map[string]bool     // order ids
}

// startLoad signs up the traders, then sets them trading and another
// user signing up new accounts, until the load stops.
func startLoad(t *testing.T, base, dataDir string) *load {
	l := &load{
		t: t, api: &api{base: base, http: &http.Client{Timeout: 2 * time.Minute}},
		tickets: map[string]ticketJSON{}, orders: map[string]orderJSON{}, buyerOf: map[string]*account{},
		payments: map[string]string{}, cancelled: map[string]bool{},
	}
	l.pairs = make([][2]*account, traders)
	var signUps sync.WaitGroup
	for k := range l.pairs {
		for j, role := range []string{"seller", "buyer"} {
			signUps.Go(func() { l.pairs[k][j], _ = l.signUp(fmt.Sprintf("%s%d", role, k)) })
		}
	}
	signUps.Wait()
	for _, pair := range l.pairs {
		if pair[0] == nil || pair[1] == nil {
			t.Fatal("the traders could not all sign up")
		}
	}
	for _, pair := range l.pairs {
		l.onboard(pair[0], dataDir)
	}
	for k, pair := range l.pairs {
		l.wg.Go(func() { l.trade(k, pair[0], pair[1]) })
	}
	l.wg.Go(l.signUpMore)
	return l
}

// onboard connects the seller's Stripe account and has Stripe say, by its
// signed account.updated, that it takes payouts, so that their sales are
// paid out.
func (l *load) onboard(seller *account, dataDir string) {
	l.t.Helper()
	if status, raw, err := l.api.call(seller, "POST", "/api/payouts/onboarding", nil, nil); err != nil || status.StatusCode != http.StatusCreated {
		l.t.Fatalf("onboarding: %v %v %s", err, status, raw)
	}
	var acct struct {
		AccountID string `json:"accountId"`
	}
	l.must(seller, "GET", "/api/payouts/account", nil, &acct)
	payload, _ := json.Marshal(map[string]any{
		"id": "evt_enabled_" + acct.AccountID, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"type": "account.updated", "data": map[string]any{"object": map[string]any{"id": acct.AccountID, "object": "account", "payouts_enabled": true}},
	})
	secret, err := os.ReadFile(filepath.Join(dataDir, "stripe-connect-webhook.secret"))
	if err != nil {
		l.t.Fatal(err)
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: strings.TrimSpace(string(secret)), Timestamp: time.Now()})
	req, _ := http.NewRequest(http.MethodPost, l.api.base+"/api/payouts/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signed.Header)
	resp, err := l.api.http.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		l.t.Fatalf("account.updated: %v %v", err, resp)
	}
	resp.Body.Close()
}

// trade sells a ticket to the buyer each round; the buyer pays half of
// them, cancels a quarter and leaves the rest open.
func (l *load) trade(k int, seller, buyer *account) {
	for i := range rounds {
		tk, ok := l.sell(seller, fmt.Sprintf("Show %d-%d", k, i), float64(5+i)+0.5)
		if !ok {
			return
		}
		o, ok := l.order(buyer, tk.ID)
		if !ok {
			return
		}
		switch i % 4 {
		case 0, 2:
			ok = l.pay(buyer, o.ID)
		case 1:
			ok = l.cancel(buyer, o.ID)
		}
		if !ok {
			return
		}
	}
}

func (l *load) signUpMore() {
	for i := 0; ; i++ {
		l.signUpStarted.Store(time.Now().UnixNano())
		_, ok := l.signUp(fmt.Sprintf("late%d", i))
		l.signUpStarted.Store(0)
		if !ok {
			return
		}
		l.mu.Lock()
		l.signUps++
		l.mu.Unlock()
	}
}

// signUpUnderWay is how long the sign-up under way has been waiting.
func (l *load) signUpUnderWay() time.Duration {
	started := l.signUpStarted.Load()
	if started == 0 {
		return 0
	}
	return time.Since(time.Unix(0, started))
}

func (l *load) signUp(name string) (*account, bool) {
	a := &account{email: name + "@example.com", password: "correct horse"}
	var u struct {
		ID string `json:"id"`
	}
	status, raw, cookies, ok := l.try(nil, "POST", "/api/users/signup", map[string]string{"email": a.email, "password": a.password}, &u)
	if !ok || !l.want(http.StatusCreated, status, "sign up", raw) {
		return nil, false
	}
	a.id, a.cookies = u.ID, cookies
	l.mu.Lock()
	l.users = append(l.users, a)
	l.mu.Unlock()
	return a, true
}

func (l *load) sell(seller *account, title string, price float64) (ticketJSON, bool) {
	var tk ticketJSON
	status, raw, _, ok := l.try(seller, "POST", "/api/tickets", map[string]any{"title": title, "price": price}, &tk)
	if !ok || !l.want(http.StatusCreated, status, "sell", raw) {
		return tk, false
	}
	l.mu.Lock()
	l.tickets[tk.ID] = tk
	l.mu.Unlock()
	return tk, true
}

// order orders the ticket as soon as orders has learnt of it (404 until then).
func (l *load) order(buyer *account, ticketID string) (orderJSON, bool) {
	var o orderJSON
	status, raw, _, ok := l.try(buyer, "POST", "/api/orders", map[string]string{"ticketId": ticketID}, &o, http.StatusNotFound)
	if !ok || !l.want(http.StatusCreated, status, "order", raw) {
		return o, false
	}
	l.mu.Lock()
	l.orders[o.ID], l.buyerOf[o.ID] = o, buyer
	l.mu.Unlock()
	return o, true
}

// pay pays with the test card as soon as payments has learnt of the order
// (404 until then).
func (l *load) pay(buyer *account, orderID string) bool {
	var p struct {
		ID      string `json:"id"`
		OrderID string `json:"orderId"`
	}
	status, raw, _, ok := l.try(buyer, "POST", "/api/payments", map[string]string{"orderId": orderID, "token": "tok_visa"}, &p, http.StatusNotFound)
	if !ok || !l.want(http.StatusCreated, status, "pay", raw) {
		return false
	}
	l.mu.Lock()
	l.payments[p.ID] = p.OrderID
	l.mu.Unlock()
	return true
}

func (l *load) cancel(buyer *account, orderID string) bool {
	status, raw, _, ok := l.try(buyer, "DELETE", "/api/orders/"+orderID, nil, nil)
	if !ok || !l.want(http.StatusNoContent, status, "cancel", raw) {
		return false
	}
	l.mu.Lock()
	l.cancelled[orderID] = true
	l.mu.Unlock()
	return true
}

// try sends a request of the load again while it is answered 503 (a busy
// store) or one of retry, for up to a minute. ok is false when the load is
// over: the command was killed, before this request or during it.
func (l *load) try(a *account, method, path string, body, out any, retry ...int) (status int, raw string, cookies []*http.Cookie, ok bool) {
	deadline := time.Now().Add(time.Minute)
	for {
		if l.killed.Load() {
			return 0, "", nil, false
		}
		resp, raw, err := l.api.call(a, method, path, body, out)
		if err != nil {
			if l.killed.Load() {
				l.cutOff.Add(1)
			} else {
				l.unexpected.Store(true)
				l.t.Errorf("%s %s got no answer before the kill: %v", method, path, err)
			}
			return 0, "", nil, false
		}
		again := resp.StatusCode == http.StatusServiceUnavailable || slices.Contains(retry, resp.StatusCode)
		if !again || time.Now().After(deadline) {
			return resp.StatusCode, raw, resp.Cookies(), true
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// want reports whether status is want, and fails the test if not.
func (l *load) want(want, status int, what, raw string) bool {
	if status == want {
		return true
	}
	l.unexpected.Store(true)
	l.t.Errorf("%s = %d %s, want %d", what, status, raw, want)
	return false
}

func (l *load) failed() bool { return l.unexpected.Load() }

func (l *load) enough() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.tickets) >= minTickets && len(l.orders) >= minOrders && len(l.payments) >= minPayments &&
		len(l.cancelled) >= minCancels && l.signUps >= minSignUps
}

func (l *load) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d users (%d while trading), %d tickets, %d orders, %d payments, %d cancellations answered",
		len(l.users), l.signUps, len(l.tickets), len(l.orders), len(l.payments), len(l.cancelled))
}

// stop kills the command with SIGKILL, then waits for the load to notice.
func (l *load) stop(p *process) {
	l.killed.Store(true)
	p.cmd.Process.Kill()
	<-p.exited
	l.wg.Wait()
}

// checkKept checks, right after the restart, that everything the command
// answered 2xx for before the kill is there: what the function that
// answered stored in its own transaction.
func (l *load) checkKept(st *stores) {
	t := l.t
	t.Helper()
	for _, a := range l.users {
		if status, raw := l.must(nil, "POST", "/api/users/signin", map[string]string{"email": a.email, "password": a.password}, nil); status != http.StatusOK {
			t.Errorf("%s signed up before the kill, but signing in after it answers %d %s", a.email, status, raw)
		}
	}
	for id, sold := range l.tickets {
		var tk ticketJSON
		status, raw := l.must(nil, "GET", "/api/tickets/"+id, nil, &tk)
		if status != http.StatusOK || tk.Title != sold.Title || tk.Price != sold.Price || tk.UserID != sold.UserID {
			t.Errorf("ticket %s was sold before the kill as %+v; after it: %d %s", id, sold, status, raw)
		}
	}
	for id, placed := range l.orders {
		var o orderJSON
		status, raw := l.must(l.buyerOf[id], "GET", "/api/orders/"+id, nil, &o)
		if status != http.StatusOK || o.Ticket.ID != placed.Ticket.ID {
			t.Errorf("order %s was placed before the kill for ticket %s; after it: %d %s", id, placed.Ticket.ID, status, raw)
		}
		if l.cancelled[id] && o.Status != "cancelled" {
			t.Errorf("order %s was cancelled before the kill; after it, it is %s", id, o.Status)
		}
	}
	// No API lists payments: payments' store shows them.
	for id, orderID := range l.payments {
		var p paymentDoc
		if err := st.payments.Get(context.Background(), "payments", id, &p); err != nil || p.OrderID != orderID {
			t.Errorf("payment %s of order %s was made before the kill; after it: %+v, %v", id, orderID, p, err)
		}
	}
}

// problems lists what does not hold yet once the events have gone round:
// over every ticket and order the marketplace holds for the traders
// (those the kill cut the answer of included), each ticket shows the state
// of its order, at the version of each change applied once, in tickets,
// the listing and orders' replica; payments' and expiration's replicas
// agree with orders; each complete order has one payment and the others
// none kept; no charge is left without an outcome, no event unsent,
// nothing dead-lettered.
func (l *load) problems(st *stores) []string {
	ctx := context.Background()
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	var tickets []ticketJSON
	orders := map[string]orderJSON{}
	byTicket := map[string][]orderJSON{}
	for _, pair := range l.pairs {
		var sold []ticketJSON
		if status, raw := l.must(pair[0], "GET", "/api/tickets?seller=me", nil, &sold); status != http.StatusOK {
			return []string{fmt.Sprintf("GET /api/tickets?seller=me = %d %s", status, raw)}
		}
		tickets = append(tickets, sold...)
		var bought []orderJSON
		if status, raw := l.must(pair[1], "GET", "/api/orders", nil, &bought); status != http.StatusOK {
			return []string{fmt.Sprintf("GET /api/orders = %d %s", status, raw)}
		}
		for _, o := range bought {
			orders[o.ID] = o
			byTicket[o.Ticket.ID] = append(byTicket[o.Ticket.ID], o)
		}
	}
	for id := range l.tickets {
		if !slices.ContainsFunc(tickets, func(tk ticketJSON) bool { return tk.ID == id }) {
			fail("ticket %s, sold before the kill, is not among its seller's", id)
		}
	}
	for id := range l.orders {
		if _, ok := orders[id]; !ok {
			fail("order %s, placed before the kill, is not among its buyer's", id)
		}
	}
	// Each paid sale paid out to its seller once, by one transfer; nothing
	// else paid out.
	for _, pair := range l.pairs {
		var payouts []struct {
			OrderID    string `json:"orderId"`
			Status     string `json:"status"`
			TransferID string `json:"transferId"`
		}
		if status, raw := l.must(pair[0], "GET", "/api/payouts", nil, &payouts); status != http.StatusOK {
			return []string{fmt.Sprintf("GET /api/payouts = %d %s", status, raw)}
		}
		owed := map[string]int{}
		for _, p := range payouts {
			owed[p.OrderID]++
			if p.Status != "paid" || p.TransferID == "" {
				fail("the payout of order %s is %s (transfer %q), want paid by a transfer", p.OrderID, p.Status, p.TransferID)
			}
		}
		for id, n := range owed {
			if o, ok := orders[id]; !ok || o.Status != "complete" || n != 1 {
				fail("order %s (%s) has %d payouts, want one for a paid order and none otherwise", id, orders[id].Status, n)
			}
		}
		for id, o := range orders {
			if o.Status == "complete" && l.buyerOf[id] == pair[1] && owed[id] == 0 {
				fail("paid order %s has no payout", id)
			}
		}
	}

	var forSale []ticketJSON
	if status, raw := l.must(nil, "GET", "/api/tickets", nil, &forSale); status != http.StatusOK {
		return []string{fmt.Sprintf("GET /api/tickets = %d %s", status, raw)}
	}
	listed := map[string]bool{}
	for _, tk := range forSale {
		listed[tk.ID] = true
	}

	for _, tk := range tickets {
		want, versions, ok := ticketAfter(byTicket[tk.ID])
		if !ok {
			fail("ticket %s has %d orders, %d of them live; the load ordered it once", tk.ID, len(byTicket[tk.ID]), live(byTicket[tk.ID]))
			continue
		}
		var got ticketJSON
		l.must(nil, "GET", "/api/tickets/"+tk.ID, nil, &got)
		if got.Status != want.Status || got.OrderID != want.OrderID || !slices.Contains(versions, got.Version) {
			fail("ticket %s is %s (order %q) at version %d; want %s (order %q) at a version in %v",
				tk.ID, got.Status, got.OrderID, got.Version, want.Status, want.OrderID, versions)
		}
		if listed[tk.ID] != (want.Status == "available") {
			fail("ticket %s is %s, and listed for sale: %v", tk.ID, want.Status, listed[tk.ID])
		}
		var replica struct {
			Version int `store:"version"`
		}
		if err := st.orders.Get(ctx, "tickets", tk.ID, &replica); err != nil || replica.Version != got.Version {
			fail("orders' replica of ticket %s is at version %d (%v), want %d", tk.ID, replica.Version, err, got.Version)
		}
	}

	paid, err := paymentsByOrder(ctx, st.payments)
	if err != nil {
		return append(problems, err.Error())
	}
	for id, o := range orders {
		if want := changes(o.Status); o.Version != want {
			fail("order %s is %s at version %d, want %d", id, o.Status, o.Version, want)
		}
		var replica struct {
			Status  string `store:"status"`
			Version int    `store:"version"`
		}
		if err := st.payments.Get(ctx, "orders", id, &replica); err != nil || replica.Status != o.Status || replica.Version != o.Version {
			fail("payments' replica of order %s is %+v (%v), want %s at version %d", id, replica, err, o.Status, o.Version)
		}
		var expiry struct {
			State string `store:"state"`
		}
		wantState := "closed"
		if o.Status == "created" {
			wantState = "scheduled"
		}
		if err := st.expiration.Get(ctx, "expiries", id, &expiry); err != nil || expiry.State != wantState {
			fail("expiration holds order %s as %q (%v), want %s", id, expiry.State, err, wantState)
		}
		kept, unsettled := 0, 0
		for _, p := range paid[id] {
			switch {
			case p.RefundReason == "":
				kept++
			case p.RefundedAt.IsZero():
				unsettled++
			}
		}
		if o.Status == "complete" && (kept != 1 || len(paid[id]) != 1) {
			fail("complete order %s has %d payments, %d of them kept; want exactly one", id, len(paid[id]), kept)
		}
		if o.Status != "complete" && kept+unsettled > 0 {
			fail("%s order %s holds %d payments not refunded", o.Status, id, kept+unsettled)
		}
	}
	for paymentID, orderID := range l.payments {
		if o := orders[orderID]; o.Status != "complete" {
			fail("order %s was paid before the kill (payment %s), and is %q", orderID, paymentID, o.Status)
		}
	}
	for orderID := range paid {
		if _, ok := orders[orderID]; !ok {
			fail("payments holds a payment for order %s, which no buyer has", orderID)
		}
	}

	if n, err := count(ctx, st.payments, "claims", "chargingAt"); err != nil || n > 0 {
		fail("%d charges have no recorded outcome yet (%v)", n, err)
	}
	for name, db := range map[string]store.Store{"tickets": st.tickets, "orders": st.orders, "payments": st.payments, "expiration": st.expiration} {
		if n, err := count(ctx, db, "outbox", "pendingAt"); err != nil || n > 0 {
			fail("%s's outbox holds %d events not sent (%v)", name, n, err)
		}
	}
	if n, err := count(ctx, st.broker, "deliveries", ""); err != nil || n > 0 {
		fail("the broker has %d deliveries pending (%v)", n, err)
	}
	dead, err := broker.DeadLetters(ctx, st.broker)
	if err != nil {
		fail("%v", err)
	}
	for _, dl := range dead {
		fail("dead letter: %s %s to %s: %s", dl.EventType, dl.EventID, dl.Trigger, dl.Reason)
	}
	if len(problems) == 0 {
		l.t.Logf("the marketplace holds %d tickets, %d orders and payments for %d of them", len(tickets), len(orders), len(paid))
	}
	return problems
}

// ticketAfter is how a ticket must show after its orders, and the
// versions it may be at if each change was applied once. The lock of an
// order makes version 1; its cancellation unlocks the ticket (2), or, when
// it overtook the lock, leaves a tombstone that makes the lock a no-op
// (0); its payment sells the ticket, over the lock (2) or ahead of it (1).
// ok is false for more than one order, which the load never places.
func ticketAfter(orders []orderJSON) (want ticketJSON, versions []int, ok bool) {
	if len(orders) == 0 {
		return ticketJSON{Status: "available"}, []int{0}, true
	}
	if len(orders) > 1 {
		return want, nil, false
	}
	switch o := orders[0]; o.Status {
	case "created":
		return ticketJSON{Status: "reserved", OrderID: o.ID}, []int{1}, true
	case "complete":
		return ticketJSON{Status: "sold", OrderID: o.ID}, []int{1, 2}, true
	default:
		return ticketJSON{Status: "available"}, []int{0, 2}, true
	}
}

// changes counts the changes an order has been through after its creation.
func changes(status string) int {
	if status == "created" {
		return 0
	}
	return 1
}

// live counts the orders that hold their ticket.
func live(orders []orderJSON) int {
	n := 0
	for _, o := range orders {
		if o.Status != "cancelled" {
			n++
		}
	}
	return n
}

// stores are the functions' and the broker's SQLite files, opened beside
// the running command: the test reads them only for what no API shows.
type stores struct {
	tickets, orders, payments, expiration, broker store.Store
}

func openStores(t *testing.T, dataDir string) *stores {
	t.Helper()
	open := func(path string) store.Store {
		db, err := sqlite.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	file := func(function string) string { return filepath.Join(dataDir, function+".db") }
	return &stores{
		tickets: open(file("tickets")), orders: open(file("orders")), payments: open(file("payments")),
		expiration: open(file("expiration")), broker: open(stack.BrokerFile(dataDir)),
	}
}

// inFlight says what the stores hold that has yet to go round: events
// unsent, deliveries pending, charges without an outcome.
func (st *stores) inFlight() string {
	ctx := context.Background()
	var unsent int
	for _, db := range []store.Store{st.tickets, st.orders, st.payments, st.expiration} {
		n, _ := count(ctx, db, "outbox", "pendingAt")
		unsent += n
	}
	pending, _ := count(ctx, st.broker, "deliveries", "")
	charging, _ := count(ctx, st.payments, "claims", "chargingAt")
	return fmt.Sprintf("%d events were unsent, %d deliveries pending and %d charges without an outcome", unsent, pending, charging)
}

// paymentDoc is the part of payments' stored payment the test reads.
type paymentDoc struct {
	OrderID      string    `store:"orderId"`
	RefundReason string    `store:"refundReason"`
	RefundedAt   time.Time `store:"refundedAt"`
}

func paymentsByOrder(ctx context.Context, db store.Store) (map[string][]paymentDoc, error) {
	docs, err := db.Query(ctx, "payments", store.Query{})
	if err != nil {
		return nil, err
	}
	byOrder := map[string][]paymentDoc{}
	for _, d := range docs {
		var p paymentDoc
		if err := d.DataTo(&p); err != nil {
			return nil, err
		}
		byOrder[p.OrderID] = append(byOrder[p.OrderID], p)
	}
	return byOrder, nil
}

// count counts the documents of collection that have field, or all of
// them when field is empty.
func count(ctx context.Context, db store.Store, collection, field string) (int, error) {
	docs, err := db.Query(ctx, collection, store.Query{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range docs {
		if field == "" || d.Fields[field] != nil {
			n++
		}
	}
	return n, nil
}

// must sends a request after the restart and fails the test if it gets
// no answer.
func (l *load) must(a *account, method, path string, body, out any) (int, string) {
	l.t.Helper()
	resp, raw, err := l.api.call(a, method, path, body, out)
	if err != nil {
		l.t.Fatalf("%s %s after the restart: %v", method, path, err)
	}
	return resp.StatusCode, raw
}

// api calls the marketplace's HTTP API, as a user whose session cookies it
// is given, or signed out.
type api struct {
	base string
	http *http.Client
}

// account is a user the load signed up, with its session.
type account struct {
	id, email, password string
	cookies             []*http.Cookie
}

// call sends a JSON request and decodes a 2xx JSON answer into out, if
// given; err is set only when no answer came.
func (c *api) call(a *account, method, path string, body, out any) (*http.Response, string, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, "", err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return nil, "", err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if a != nil {
		for _, ck := range a.cookies {
			req.AddCookie(ck)
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, "", fmt.Errorf("decode %s: %w", raw, err)
		}
	}
	return resp, string(raw), nil
}

// ticketJSON and orderJSON are the parts of the API's shapes (DESIGN §3)
// the test compares.
type ticketJSON struct {
	ID      string  `json:"id"`
	Title   string  `json:"title"`
	Price   float64 `json:"price"`
	UserID  string  `json:"userId"`
	Status  string  `json:"status"`
	Version int     `json:"version"`
	OrderID string  `json:"orderId"`
}

type orderJSON struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Version int    `json:"version"`
	Ticket  struct {
		ID string `json:"id"`
	} `json:"ticket"`
}
