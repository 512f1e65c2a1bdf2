package stack_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// The admin pages in the browser: an admin bans a buyer with an open
// order, the buyer is told their account is suspended, the order's
// support page tells it was cancelled by the ban, and the buyer signs in
// again once the ban is lifted. Every admin page is checked with axe-core.

// adminEmail is the admin of the stack the test starts (ADMIN_EMAILS).
const adminEmail = "admin@example.com"

// storyShown is the JavaScript expression of what the support page's story
// tells, line by line.
const storyShown = `Array.from(document.querySelectorAll("[data-story] li")).map(li => li.dataset.what).join(",")`

func TestBrowserAdminBansABuyerReadsTheOrdersStoryAndLiftsTheBan(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0, func(o *stack.Options) { o.AdminEmails = []string{adminEmail} })
	b := newBrowser(t, s.URL())
	seller, buyer, admin := b.visitor("seller", true), b.visitor("buyer", true), b.visitor("admin", true)
	_, order := sellAndOrder(seller, buyer, "Harbour Lights, balcony", "30")

	// Nobody but an admin sees the Admin link or the page.
	if seller.has("[data-admin-link]") {
		t.Errorf("a seller's navigation offers Admin")
	}
	if status := seller.open("/admin", "no-admin"); status != http.StatusNotFound || seller.has("[data-find-form]") || seller.text("h1") != "Page not found" {
		t.Errorf("a seller's /admin answered %d %q, want the page not found", status, seller.text("h1"))
	}

	admin.email = adminEmail
	admin.signUp()
	if !admin.has("[data-admin-link]") {
		t.Fatalf("the admin's navigation has no Admin link: %q", admin.text("header"))
	}
	admin.press("[data-admin-link]", "admin")
	if admin.path() != "/admin" || admin.text("h1") != "Admin" {
		t.Fatalf("the Admin link landed on %s %q", admin.path(), admin.text("h1"))
	}
	admin.accessible("admin")

	admin.fill("#field-email", buyer.email)
	admin.press("[data-find-form] button[type=submit]", "found")
	if got := admin.text("[data-account-status]"); got != "Active" || admin.text("#account-heading") != buyer.email {
		t.Fatalf("finding the buyer shows %q %q, want them active", admin.text("#account-heading"), got)
	}
	admin.accessible("admin-found")

	// A ban with no reason is refused next to its field, in the API's words.
	admin.press("[data-ban-form] button[type=submit]", "ban-refused")
	if got := admin.text(`[data-error-for="reason"]`); got != "Reason is required" {
		t.Errorf("a ban without a reason says %q next to the field, want Reason is required", got)
	}
	admin.accessible("ban-refused")

	admin.fill("#field-reason", "Chargebacks on every order")
	admin.press("[data-ban-form] button[type=submit]", "banned")
	if got := admin.text(".flash"); got != "The user is banned." {
		t.Errorf("after the ban the page says %q", got)
	}
	if got := admin.text("[data-account-status]"); got != "Banned" || admin.text("[data-ban-reason]") != "Chargebacks on every order" ||
		!strings.HasPrefix(admin.text("[data-banned-until]"), "No end") {
		t.Errorf("the banned buyer shows %q %q %q", got, admin.text("[data-ban-reason]"), admin.text("[data-banned-until]"))
	}
	admin.accessible("admin-banned")

	// The buyer's next page says the account is suspended, once the ban
	// has reached orders; signing in again says so too.
	buyer.until("/orders", "suspended", "the buyer is told their account is suspended", func() bool {
		return buyer.text("h1") == "Your account is suspended"
	})
	buyer.accessible("suspended")
	buyer.open("/auth/signin", "signin-suspended")
	buyer.fill("#field-email", buyer.email)
	buyer.fill("#field-password", "correct horse")
	if status := buyer.press("form[action='/auth/signin'] button[type=submit]", "signin-refused"); status != http.StatusForbidden ||
		buyer.text("h1") != "Your account is suspended" {
		t.Errorf("a banned buyer's sign-in answered %d %q", status, buyer.text("h1"))
	}

	// The order's support page: placed, reserved, then cancelled by the
	// ban, each with its time.
	admin.open("/admin", "admin-again")
	admin.fill("#field-id", order)
	admin.press("[data-order-form] button[type=submit]", "order-opened")
	admin.until("/admin/orders/"+order, "order-story", "the story tells the ban's cancellation", func() bool {
		return eval[string](admin, storyShown) == "placed,reserved,cancelled"
	})
	if got := admin.text(`[data-what="cancelled"] [data-detail]`); got != "The buyer's account was banned." {
		t.Errorf("the cancellation says %q", got)
	}
	if got := admin.text(`[data-what="placed"] [data-detail]`); got != "Harbour Lights, balcony at $30.00" {
		t.Errorf("the order's placing says %q", got)
	}
	if n := eval[int](admin, `document.querySelectorAll("[data-story] li time").length`); n < 3 {
		t.Errorf("the story shows %d times, want one on each line", n)
	}
	admin.accessible("order-story")

	// Lifted, the ban lets the buyer sign in and use the marketplace again.
	admin.open("/admin?email="+url.QueryEscape(buyer.email), "admin-banned-again")
	admin.press("[data-unban-form] button[type=submit]", "unbanned")
	if got := admin.text(".flash"); got != "The ban is lifted." || admin.text("[data-account-status]") != "Active" {
		t.Errorf("after lifting the ban the page says %q, status %q", got, admin.text("[data-account-status]"))
	}
	admin.accessible("admin-unbanned")
	buyer.signIn(buyer.email)
	buyer.until("/orders", "orders-again", "the buyer sees their orders again", func() bool { return buyer.text("h1") == "My orders" })
}
