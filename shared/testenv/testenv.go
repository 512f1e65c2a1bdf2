// Package testenv starts the real stand-ins that tests need (the Firestore
// emulator, the Cloud Tasks emulator, stripe-mock) and stops them when the
// test binary ends.
//
// A package that uses it runs its tests through Main:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
//
// or, for a command's tests, through MainOr, which can also run the command.
//
// Tests never assume a stand-in is running, and never skip silently: when
// one cannot be started the test is skipped with the reason, and under
// CI=true it fails instead.
package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/procgroup"
)

// The stand-ins of one test binary, started on first use. Tests in one
// package share them, as they share the binary.
var (
	mu       sync.Mutex
	firebase *process
	started  []*process
)

// Main runs the tests and then stops every stand-in they started.
func Main(m *testing.M) {
	code := m.Run()
	mu.Lock()
	for _, p := range started {
		p.stop()
	}
	mu.Unlock()
	os.Exit(code)
}

// CI reports whether the tests run in CI, where a missing stand-in is a failure.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable skips the test with reason, or fails it under CI.
func Unavailable(tb testing.TB, reason string) {
	tb.Helper()
	if CI() {
		tb.Fatalf("testenv: %s (CI=true: a missing stand-in fails the run)", reason)
	}
	tb.Skipf("testenv: %s; skipped outside CI", reason)
}

// UniqueID returns a random identifier with prefix, so tests that share a
// stand-in never see each other's data.
func UniqueID(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// FirestoreEmulator returns the host:port of a Firestore emulator for this
// test binary, starting it on first use.
func FirestoreEmulator(tb testing.TB) string {
	tb.Helper()
	return standIn(tb, &firebase, "firestore emulator", firestoreJar, firestoreCommand, firestoreReady)
}

// StartFirestoreEmulator starts a Firestore emulator of its own for a
// program that is not a test (a benchmark), and returns its host:port and
// what stops it.
func StartFirestoreEmulator() (addr string, stop func(), err error) {
	jar, err := firestoreJar()
	if err != nil {
		return "", nil, err
	}
	p, err := startProcess("firestore emulator", func(port int) *exec.Cmd { return firestoreCommand(jar, port) }, firestoreReady)
	if err != nil {
		return "", nil, err
	}
	return p.addr, p.stop, nil
}

func firestoreCommand(jar string, port int) *exec.Cmd {
	return exec.Command("java", "-cp", jar,
		"com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start",
		"--host=127.0.0.1", fmt.Sprintf("--port=%d", port))
}

// standIn returns the address of the stand-in *p, starting it on first
// use: find locates what command runs, and startProcess runs it as name
// until ready. When either fails the test is skipped, or fails under CI.
func standIn(tb testing.TB, p **process, name string, find func() (string, error),
	command func(path string, port int) *exec.Cmd, ready func(addr string) bool) string {
	tb.Helper()
	mu.Lock()
	defer mu.Unlock()
	if *p == nil {
		path, err := find()
		if err != nil {
			Unavailable(tb, err.Error())
		}
		proc, err := startProcess(name, func(port int) *exec.Cmd { return command(path, port) }, ready)
		if err != nil {
			Unavailable(tb, err.Error())
		}
		*p = proc
		started = append(started, proc)
	}
	return (*p).addr
}

// tool returns standIn's find for the binary name that `make tools`
// builds, which what names in errors (toolBinary).
func tool(name, what string) func() (string, error) {
	return func() (string, error) { return toolBinary(name, what) }
}

// toolBinary finds the binary name that `make tools` builds into
// tools/bin, which what names in errors: on PATH (`make test` puts
// tools/bin there), then in tools/bin of the repository that holds the
// working directory.
func toolBinary(name, what string) (string, error) {
	if bin, err := exec.LookPath(name); err == nil {
		return bin, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testenv: %s: %w", what, err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.work")) {
			bin := filepath.Join(dir, "tools", "bin", name)
			if !fileExists(bin) {
				return "", fmt.Errorf("%s is not built: %s is missing (run make tools)", what, bin)
			}
			return bin, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s is not on PATH and no go.work was found above the working directory (run make tools)", what)
		}
		dir = parent
	}
}

// firestoreJar finds the emulator in the Google Cloud SDK:
// FIRESTORE_EMULATOR_JAR, then the SDK root that gcloud reports, then the
// usual install folders.
func firestoreJar() (string, error) {
	if jar := os.Getenv("FIRESTORE_EMULATOR_JAR"); jar != "" {
		return jar, nil
	}
	if _, err := exec.LookPath("java"); err != nil {
		return "", errors.New("java is not installed; the Firestore emulator needs it")
	}
	const rel = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
	roots := []string{"/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk", "/google-cloud-sdk"}
	if out, err := exec.Command("gcloud", "info", "--format=value(installation.sdk_root)").Output(); err == nil {
		roots = append([]string{strings.TrimSpace(string(out))}, roots...)
	}
	for _, root := range roots {
		if jar := filepath.Join(root, rel); fileExists(jar) {
			return jar, nil
		}
	}
	return "", errors.New("the Firestore emulator jar was not found in the Google Cloud SDK (set FIRESTORE_EMULATOR_JAR, or install google-cloud-cli-firestore-emulator)")
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// process is a stand-in running as a child of the test binary.
type process struct {
	name string
	addr string
	cmd  *exec.Cmd
	log  *os.File
}

// startProcess starts command on a free loopback port and waits until ready
// answers for its address. A port is only known to be free until it is
// closed: other test binaries running in parallel take ports too, so a
// stand-in that finds its port taken is started again on another one.
func startProcess(name string, command func(port int) *exec.Cmd, ready func(addr string) bool) (*process, error) {
	const attempts = 5
	for i := 1; ; i++ {
		p, err := startProcessOnce(name, command, ready)
		if errors.Is(err, errPortTaken) && i < attempts {
			continue
		}
		return p, err
	}
}

// errPortTaken marks a stand-in that exited because its port was taken.
var errPortTaken = errors.New("port taken")

func startProcessOnce(name string, command func(port int) *exec.Cmd, ready func(addr string) bool) (*process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "testenv-*.log")
	if err != nil {
		return nil, fmt.Errorf("testenv: %s log: %w", name, err)
	}
	cmd := command(port)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so stop reaches the JVM and any child; and,
	// on Linux, killed with the test binary, should that die first.
	procgroup.Set(cmd)
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("testenv: start %s: %w", name, err)
	}
	p := &process{name: name, addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, log: log}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.After(90 * time.Second)
	for !ready(p.addr) {
		select {
		case err := <-exited:
			out, _ := os.ReadFile(log.Name())
			p.stop()
			if portTaken(out) {
				return nil, fmt.Errorf("testenv: %s: %w: %d", name, errPortTaken, port)
			}
			return nil, fmt.Errorf("testenv: %s exited before it was ready: %v\n%s", name, err, tail(out))
		case <-deadline:
			p.stop()
			return nil, fmt.Errorf("testenv: %s not ready after 90s; log in %s", name, log.Name())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return p, nil
}

func (p *process) stop() {
	procgroup.Kill(p.cmd)
	p.log.Close()
	os.Remove(p.log.Name())
}

// FreePort returns a loopback TCP port that was free a moment ago.
//
// It is chosen below the kernel's ephemeral range when it can be: every
// listener on port 0 and every outgoing connection of the test binaries
// running in parallel takes its port from that range, so a port outside it
// is far less likely to be taken before the stand-in binds it.
func FreePort() (int, error) {
	if low, ok := ephemeralLow(); ok && low > 10000+1000 {
		for range 50 {
			port := 10000 + mathrand.IntN(low-10000)
			if ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
				ln.Close()
				return port, nil
			}
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testenv: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// secondPort returns a free port other than port, for a stand-in that
// listens on two: 0, which lets it pick one, when none can be found.
func secondPort(port int) int {
	for range 10 {
		second, err := FreePort()
		if err != nil {
			return 0
		}
		if second != port {
			return second
		}
	}
	return 0
}

// ephemeralLow is the first port of the kernel's ephemeral range, on Linux.
func ephemeralLow() (int, bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, false
	}
	var low, high int
	if _, err := fmt.Sscan(string(b), &low, &high); err != nil {
		return 0, false
	}
	return low, true
}

// portTaken reports whether a stand-in's log says it could not bind its
// port: Java's BindException and Go's EADDRINUSE both say so in words.
func portTaken(log []byte) bool {
	return bytes.Contains(bytes.ToLower(log), []byte("address already in use"))
}

// firestoreReady reports whether the Firestore emulator answers at addr:
// its "Ok" tells it from another server that may have taken the port.
func firestoreReady(addr string) bool {
	client := &http.Client{Timeout: time.Second}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	return resp.StatusCode == http.StatusOK && strings.TrimSpace(string(body)) == "Ok"
}

func httpReady(path string) func(addr string) bool {
	client := &http.Client{Timeout: time.Second}
	return func(addr string) bool {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
}

func tail(b []byte) string {
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}
