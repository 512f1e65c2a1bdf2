package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/buytickets/buytickets/functions/etickets/qrtest"
)

// The e-ticket's pages in the browser: a paid order shows its buyer's
// e-ticket, My tickets lists it, and its seller checks it in at the door.
// Every page is checked with axe-core against WCAG 2.1 A and AA.

// axeFile is axe-core, kept in testdata so the tests need no network.
const axeFile = "../testdata/axe-core/axe.min.js"

var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(axeFile)
	return string(b), err
})

// axeViolation is one rule a page breaks, as axe-core reports it.
type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// accessible runs axe-core on the page the tab shows, as DevTools
// evaluates a script (so whatever the page's Content-Security-Policy, and
// with the page's own scripts off too), and fails the test for every
// violation of WCAG 2.1 A and AA.
func (v *visitor) accessible(step string) {
	v.t.Helper()
	src, err := axeSource()
	if err != nil {
		v.t.Fatalf("read axe-core: %v", err)
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
	.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}))))`
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	if !v.javascript {
		// axe-core waits on timers, which do not fire while scripts are
		// off. Turned on now, they run no script of the page's: those
		// were skipped as it loaded.
		if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
			v.t.Fatalf("%s: turn JavaScript on for axe-core: %v", v.name, err)
		}
		defer func() {
			if _, err := chromedp.Call(v.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				v.t.Fatalf("%s: turn JavaScript off again: %v", v.name, err)
			}
		}()
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;void 0")); err != nil {
		v.t.Fatalf("%s: load axe-core on %s: %v", v.name, step, err)
	}
	report, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		v.t.Fatalf("%s: run axe-core on %s: %v", v.name, step, err)
	}
	var violations []axeViolation
	if err := json.Unmarshal([]byte(report), &violations); err != nil {
		v.t.Fatalf("%s: read axe-core's report on %s: %v", v.name, step, err)
	}
	for _, vi := range violations {
		v.t.Errorf("%s: %s (%s) breaks %s, %s: %s", v.name, step, v.path(), vi.ID, vi.Impact, vi.Help)
		for _, n := range vi.Nodes {
			v.t.Logf("    %s", n)
		}
	}
}

// waitFor waits until the JavaScript condition cond holds on the page the
// tab shows, without reloading it, failing after a minute.
func (v *visitor) waitFor(what, cond string) {
	v.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !eval[bool](v, cond) {
		if time.Now().After(deadline) {
			v.t.Fatalf("%s: timed out waiting until %s on %s", v.name, what, v.path())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// fetchText fetches url from the page, with the browser's cookies, and
// returns the answer's text.
func (v *visitor) fetchText(url string) string {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	js := fmt.Sprintf(`fetch(%s).then(r => r.ok ? r.text() : Promise.reject(new Error("HTTP " + r.status)))`, strconv.Quote(url))
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		v.t.Fatalf("%s: fetch %s: %v", v.name, url, err)
	}
	return out
}

// signIn signs the visitor in to the account of email through the form.
func (v *visitor) signIn(email string) {
	v.t.Helper()
	v.email = email
	v.open("/auth/signin", "signin")
	v.fill("#field-email", email)
	v.fill("#field-password", "correct horse")
	v.press("form[action='/auth/signin'] button[type=submit]", "signed-in")
	if got := v.text("[data-user-email]"); got != email {
		v.t.Fatalf("%s: header shows %q after sign-in, want %q", v.name, got, email)
	}
}

// media shows pages as the CSS media type m ("print") renders them, or as
// the screen does when m is empty.
func (v *visitor) media(m string) {
	v.t.Helper()
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m}); err != nil {
		v.t.Fatalf("%s: emulate media %q: %v", v.name, m, err)
	}
}

// qrLoaded is the JavaScript condition that the e-ticket's QR image has
// loaded.
const qrLoaded = `(() => { const img = document.querySelector("[data-eticket] img[data-qr]"); return !!img && img.complete && img.naturalWidth > 0; })()`

// payForETicket pays for order with the test card and waits until its page
// shows the e-ticket: its code.
func (v *visitor) payForETicket(order string) string {
	v.t.Helper()
	v.press("[data-pay-form] button[type=submit]", "paying")
	v.until("/orders/"+order, "order-paid", "the order shows its e-ticket", func() bool { return v.has("[data-eticket]") })
	return v.attr("[data-eticket]", "data-code")
}

// checkIn sends code with the check-in form on the page and returns the
// answer page's status and the kind of answer it shows.
func (v *visitor) checkIn(code, step string) (int64, string) {
	v.t.Helper()
	v.fill("#field-code", code)
	status := v.press("[data-checkin-form] button[type=submit]", step)
	return status, v.attr("[data-answer]", "data-answer")
}

// fakeScanner makes every page the visitor opens from now on see a camera
// and a BarcodeDetector that reads code from it, as a phone at the door
// would read the holder's QR symbol. Headless Chromium on Linux has
// neither; what is tested is the page's use of them.
func (v *visitor) fakeScanner(code string) {
	v.t.Helper()
	js := fmt.Sprintf(`(() => {
  const code = %s;
  window.BarcodeDetector = class {
    static getSupportedFormats() { return Promise.resolve(["qr_code"]); }
    constructor(options) { this.formats = options.formats; }
    detect(video) { return Promise.resolve(video.readyState >= 2 ? [{format: "qr_code", rawValue: code}] : []); }
  };
  navigator.mediaDevices.getUserMedia = () => {
    const canvas = document.createElement("canvas");
    canvas.width = 320; canvas.height = 240;
    const g = canvas.getContext("2d");
    let n = 0;
    setInterval(() => { g.fillStyle = n++ %% 2 ? "#222" : "#ddd"; g.fillRect(0, 0, 320, 240); }, 50);
    return Promise.resolve(canvas.captureStream(20));
  };
})();`, strconv.Quote(code))
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: js}); err != nil {
		v.t.Fatalf("%s: fake a scanner: %v", v.name, err)
	}
}

func TestBrowserPaidOrderShowsTheBuyersETicketAndMyTicketsListsItValid(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0)
	b := newBrowser(t, s.URL())
	seller, buyer := b.visitor("seller", true), b.visitor("buyer", true)
	_, order := sellAndOrder(seller, buyer, "Night Owls, row F", "25")

	// etickets is down when the order is paid: the order page says the
	// e-ticket cannot be shown yet, and shows it once it is issued,
	// without a reload.
	if err := s.StopFunction("etickets"); err != nil {
		t.Fatal(err)
	}
	buyer.press("[data-pay-form] button[type=submit]", "paying")
	buyer.until("/orders/"+order, "order-paid-eticket-pending", "the order shows paid", func() bool { return buyer.state() == "paid" })
	if buyer.has("[data-eticket]") || !buyer.has(fmt.Sprintf("[data-eticket-note] a[href=%q]", "/orders/"+order)) {
		t.Errorf("a paid order whose e-ticket cannot be read shows %q, want a note with a Refresh link", buyer.text("main"))
	}
	buyer.accessible("order-paid-eticket-pending")
	eval[bool](buyer, `window.stayed = true`)
	if err := s.StartFunction("etickets"); err != nil {
		t.Fatal(err)
	}
	buyer.waitFor("the e-ticket appears", qrLoaded)
	buyer.screenshot("eticket-appeared")
	if !eval[bool](buyer, `window.stayed === true`) {
		t.Errorf("the page reloaded to show the e-ticket")
	}
	if got := buyer.text("[data-eticket-note]"); got != "Your e-ticket is ready." {
		t.Errorf("the status note says %q once the e-ticket is shown, want Your e-ticket is ready.", got)
	}

	// Loaded again, the page shows the e-ticket: the QR symbol of its code,
	// and the code as text.
	buyer.open("/orders/"+order, "order-with-eticket")
	code := buyer.attr("[data-eticket]", "data-code")
	if len(code) != 124 {
		t.Fatalf("the e-ticket's code is %q, want 124 characters", code)
	}
	buyer.waitFor("the QR image has loaded", qrLoaded)
	if got := strings.ReplaceAll(buyer.text("[data-code-text]"), " ", ""); got != code {
		t.Errorf("the code shown is %q, want %q", got, code)
	}
	if got := qrtest.Decode(t, buyer.fetchText(buyer.attr("[data-qr]", "src"))); got != code {
		t.Errorf("the QR symbol reads %q, want the code %q", got, code)
	}
	if !eval[bool](buyer, `!document.querySelector("[data-eticket] [data-print]").hidden`) {
		t.Errorf("the Print button is hidden with JavaScript on")
	}

	// Printed, the page is the e-ticket alone.
	buyer.media("print")
	buyer.screenshot("order-printed")
	printed := eval[string](buyer, `(() => {
		const shown = el => !!el && el.checkVisibility();
		return [shown(document.querySelector("header.site")), shown(document.querySelector(".order-detail")),
			shown(document.querySelector("[data-print]")), shown(document.querySelector("[data-eticket]")),
			shown(document.querySelector("[data-qr]")), shown(document.querySelector("[data-code-text]"))].join(",");
	})()`)
	if printed != "false,false,false,true,true,true" {
		t.Errorf("printed, [header, order, Print button, e-ticket, QR, code] are shown as %s, want the e-ticket alone", printed)
	}
	buyer.media("")
	buyer.accessible("order-with-eticket")

	buyer.open("/etickets", "my-tickets")
	item := fmt.Sprintf("[data-code=%q]", code)
	if got := buyer.attr(item+" [data-status]", "data-status"); got != "valid" || buyer.text(item+" [data-status]") != "Valid" {
		t.Errorf("My tickets shows the e-ticket as %q %q, want valid, Valid", got, buyer.text(item+" [data-status]"))
	}
	if got := buyer.text(item + " a"); got != "Night Owls, row F" {
		t.Errorf("My tickets names the e-ticket %q", got)
	}
	buyer.accessible("my-tickets")

	buyer.press(item+" a", "eticket")
	if buyer.path() != "/etickets/"+code || buyer.attr("[data-eticket]", "data-code") != code {
		t.Fatalf("the e-ticket's link landed on %s", buyer.path())
	}
	buyer.waitFor("the QR image has loaded", qrLoaded)
	buyer.accessible("eticket")

	seller.open("/etickets", "my-tickets-empty")
	if !seller.has("[data-empty]") {
		t.Errorf("a seller who bought nothing sees %q on My tickets", seller.text("main"))
	}
	seller.accessible("my-tickets-empty")
}

func TestBrowserSellerChecksETicketsInAndSeesEachAnswer(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0)
	b := newBrowser(t, s.URL())
	// The desk at the door runs no JavaScript: the check-in page works
	// without it.
	desk, buyer := b.visitor("desk", false), b.visitor("buyer", true)
	_, order := sellAndOrder(desk, buyer, "Jazz at the Lake", "40")
	code := buyer.payForETicket(order)

	// The seller's phone, signed in to the seller's account, scans the
	// holder's QR symbol.
	phone := b.visitor("phone", true)
	phone.signIn(desk.email)
	phone.fakeScanner(code)
	phone.open("/checkin", "checkin-with-camera")
	phone.waitFor("the Scan button is offered", `!document.querySelector("[data-scan]").hidden`)
	phone.accessible("checkin-with-camera")
	if status := phone.press("[data-scan]", "scanned"); status != 200 || phone.attr("[data-answer]", "data-answer") != "valid" {
		t.Fatalf("scanning a valid e-ticket answered %d %q", status, phone.text("main"))
	}
	if got := phone.text("[data-answer-heading]"); got != "Valid — checked in" {
		t.Errorf("a valid e-ticket shows %q, want Valid — checked in", got)
	}
	if got := phone.text("[data-answer-event]"); got != "Jazz at the Lake" {
		t.Errorf("the answer names the event %q", got)
	}
	if !strings.Contains(phone.text("title"), "Valid — checked in") {
		t.Errorf("the page's title %q does not say the answer", phone.text("title"))
	}
	phone.accessible("checked-in")

	desk.open("/checkin", "checkin")
	if eval[bool](desk, `!document.querySelector("[data-scan]").hidden`) {
		t.Errorf("the Scan button is offered without JavaScript")
	}
	desk.accessible("checkin")

	status, answer := desk.checkIn(code, "already-used")
	heading := desk.text("[data-answer-heading]")
	if status != 409 || answer != "used" || !strings.HasPrefix(heading, "Already used — checked in at ") || !strings.HasSuffix(heading, "UTC") {
		t.Errorf("checking the code in again answered %d %q %q, want 409, Already used — checked in at <time>", status, answer, heading)
	}
	if got := desk.attr("[data-answer]", "role"); got != "alert" {
		t.Errorf("the refusal is in a region of role %q, want alert", got)
	}
	desk.accessible("already-used")

	other := byte('A')
	if code[20] == other {
		other = 'B'
	}
	tampered := code[:20] + string(other) + code[21:]
	status, answer = desk.checkIn(tampered, "tampered")
	if status != 400 || answer != "invalid" || desk.text("[data-answer-heading]") != "Invalid code" {
		t.Errorf("a tampered code answered %d %q %q, want 400, Invalid code", status, answer, desk.text("[data-answer-heading]"))
	}
	if got := eval[string](desk, `document.querySelector("#field-code").value`); got != tampered {
		t.Errorf("the mistyped code is not kept in its field to correct: %q", got)
	}
	desk.accessible("tampered")

	stranger := b.visitor("stranger", true)
	stranger.signUp()
	stranger.open("/checkin", "checkin")
	status, answer = stranger.checkIn(code, "not-theirs")
	if status != 403 || answer != "not-yours" || stranger.text("[data-answer-heading]") != "Not your event" {
		t.Errorf("someone else's e-ticket answered %d %q %q, want 403, Not your event", status, answer, stranger.text("[data-answer-heading]"))
	}
	stranger.accessible("not-theirs")

	item := fmt.Sprintf("[data-code=%q] [data-status]", code)
	buyer.until("/etickets", "my-tickets-used", "My tickets shows the e-ticket used", func() bool {
		return buyer.attr(item, "data-status") == "used"
	})
	if got := buyer.text(item); !strings.HasPrefix(got, "Used at ") {
		t.Errorf("a used e-ticket shows %q, want Used at <time>", got)
	}
	buyer.accessible("my-tickets-used")
}
