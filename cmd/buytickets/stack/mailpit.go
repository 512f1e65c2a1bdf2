package stack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/buytickets/buytickets/shared/procgroup"
)

// MailOptions choose where notifications hands its emails.
type MailOptions struct {
	// SMTPURL is the relay to send through (SMTP_URL). When empty, the
	// stack starts mailpit from PATH (make tools) and sends to it.
	SMTPURL string
	// UIAddr is where the started mailpit serves its web UI and API
	// (MAIL_UI_ADDR, 127.0.0.1:8025 for make run); a free loopback port
	// when empty, and a free port on its host when its port is 0, as
	// tests that run stacks side by side need.
	UIAddr string
	// From is the sender of every email (MAIL_FROM); notifications'
	// default when empty.
	From string
}

// mailpit is the embedded default's mail server: it takes the
// marketplace's emails over SMTP on loopback and shows them in its web UI.
type mailpit struct {
	smtpURL string
	uiURL   string
	cmd     *exec.Cmd
	exited  chan struct{} // closed once the process has been waited for
}

// startMailpit starts mailpit with its UI and API on uiAddr, its SMTP port
// on a free loopback port, and its messages in dataDir/mail, so that emails
// outlive a restart as the rest of the data does. mailpit makes its files
// readable by all; the folder, the owner's alone, keeps them private.
//
// mailpit cannot be told to pick its own ports and say which (it reports
// ":0" back), so the ports are picked here just before it binds them; a
// listener that takes one meanwhile makes mailpit exit, which is reported.
func startMailpit(ctx context.Context, uiAddr, dataDir string) (*mailpit, error) {
	bin, err := exec.LookPath("mailpit")
	if err != nil {
		return nil, errors.New("mailpit is not on PATH: run `make tools` (make run puts tools/bin on PATH), or set SMTP_URL to send through a relay")
	}
	if uiAddr == "" {
		uiAddr = "127.0.0.1:0"
	}
	addrs, err := withFreePorts(uiAddr, "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mailpit ports: %w", err)
	}
	uiAddr, smtpAddr := addrs[0], addrs[1]
	dir := filepath.Join(dataDir, "mail")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailpit: %w", err)
	}
	cmd := exec.Command(bin, "--listen", uiAddr, "--smtp", smtpAddr,
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start mailpit: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	procgroup.Set(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start mailpit: %w", err)
	}
	m := &mailpit{smtpURL: "smtp://" + smtpAddr, uiURL: "http://" + uiAddr, cmd: cmd, exited: make(chan struct{})}
	var output []string // what it said, read once exited is closed
	go func() {
		// Reads its output for as long as it runs, so it never blocks on
		// a full pipe.
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if len(output) < 20 {
				output = append(output, lines.Text())
			}
		}
		cmd.Wait()
		close(m.exited)
	}()
	deadline := time.After(30 * time.Second)
	for !m.ready(smtpAddr) {
		select {
		case <-m.exited:
			return nil, fmt.Errorf("mailpit exited before listening (is %s taken? set MAIL_UI_ADDR): %s", uiAddr, strings.Join(output, "\n"))
		case <-deadline:
			m.stop()
			return nil, errors.New("mailpit did not listen within 30s")
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return m, nil
}

// ready reports whether mailpit answers its API and takes SMTP connections.
func (m *mailpit) ready(smtpAddr string) bool {
	resp, err := http.Get(m.uiURL + "/api/v1/info")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", smtpAddr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (m *mailpit) stop() {
	procgroup.Kill(m.cmd)
	<-m.exited
}

// withFreePorts returns addrs, each with a port the kernel has free in
// place of port 0. The ports are held until all are chosen, so no two of
// them are the same: a port let go is the kernel's next answer.
func withFreePorts(addrs ...string) ([]string, error) {
	free := make([]string, len(addrs))
	for i, addr := range addrs {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		if port != "0" {
			free[i] = addr
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		free[i] = ln.Addr().String()
	}
	return free, nil
}

// setUpMail settles where notifications sends: the caller's relay, or a
// mailpit started here.
func (s *Stack) setUpMail(ctx context.Context) error {
	if s.opts.Mail.SMTPURL != "" {
		s.smtpURL = s.opts.Mail.SMTPURL
		return nil
	}
	m, err := startMailpit(ctx, s.opts.Mail.UIAddr, s.opts.DataDir)
	if err != nil {
		return err
	}
	s.mailpit, s.smtpURL = m, m.smtpURL
	return nil
}

// MailURL is the web UI and API of the mailpit the stack started, where
// every email the marketplace sends can be read; empty when the stack
// sends through a relay of the caller's.
func (s *Stack) MailURL() string {
	if s.mailpit == nil {
		return ""
	}
	return s.mailpit.uiURL
}
