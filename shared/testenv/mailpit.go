package testenv

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"testing"
	"time"
)

var (
	mailpit     *process
	mailpitSMTP string // its SMTP address, chosen with its HTTP port
)

// Mailpit is a mailpit for tests: an SMTP server that keeps every message
// it takes, and the HTTP API that reads them back.
type Mailpit struct {
	// SMTP is the host:port of its SMTP server, which takes any sender
	// without authentication or TLS.
	SMTP string
	// API is the base URL of its web UI and API (http://host:port).
	API string
}

// StartMailpit returns the mailpit of this test binary, starting it on
// first use on free ports. Tests share it, so each reads only the messages
// sent to addresses of its own (To). Without the binary (make tools builds
// it into tools/bin) the test is skipped, or fails under CI=true.
func StartMailpit(tb testing.TB) Mailpit {
	tb.Helper()
	// standIn holds mu while it starts the process, so the command and
	// its readiness check share the SMTP address without locking.
	api := standIn(tb, &mailpit, "mailpit", tool("mailpit", "mailpit"), func(bin string, port int) *exec.Cmd {
		mailpitSMTP = fmt.Sprintf("127.0.0.1:%d", secondPort(port))
		return exec.Command(bin, "--quiet", "--max", "5000",
			"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--smtp", mailpitSMTP)
	}, func(addr string) bool { return mailpitReady(addr, mailpitSMTP) })
	mu.Lock()
	defer mu.Unlock()
	return Mailpit{SMTP: mailpitSMTP, API: "http://" + api}
}

// SMTPURL is SMTP as an SMTP_URL setting.
func (m Mailpit) SMTPURL() string { return "smtp://" + m.SMTP }

// mailpitReady reports whether mailpit answers its API at addr and takes
// SMTP connections at smtp.
func mailpitReady(addr, smtp string) bool {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + addr + "/api/v1/info")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", smtp, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// MailSummary is a message as mailpit lists it.
type MailSummary struct {
	ID      string
	From    MailAddress
	To      []MailAddress
	Subject string
}

// MailAddress is an address of a message.
type MailAddress struct {
	Name    string
	Address string
}

// Mail is a message read whole: its text and HTML parts, its inline parts
// (images the HTML shows) and its headers.
type Mail struct {
	MailSummary
	Text    string
	HTML    string
	Inline  []struct{ ContentType, ContentID, FileName string }
	Headers map[string][]string
}

// To returns the messages sent to address, newest first.
func (m Mailpit) To(tb testing.TB, address string) []MailSummary {
	tb.Helper()
	var list struct{ Messages []MailSummary }
	m.get(tb, "/api/v1/search?query="+url.QueryEscape(`to:"`+address+`"`), &list)
	return list.Messages
}

// Read returns the message id whole.
func (m Mailpit) Read(tb testing.TB, id string) Mail {
	tb.Helper()
	var msg Mail
	m.get(tb, "/api/v1/message/"+url.PathEscape(id), &msg)
	m.get(tb, "/api/v1/message/"+url.PathEscape(id)+"/headers", &msg.Headers)
	return msg
}

func (m Mailpit) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		tb.Fatalf("mailpit: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("mailpit GET %s: %v", path, err)
	}
}
