package stack

import (
	"net"
	"testing"
)

// TestMailpitIsGivenTheUIPortAskedForAndFreeDistinctPortsForTheRest:
// mailpit binds its web UI and its SMTP server separately, and exits when
// the two are handed the same port.
func TestMailpitIsGivenTheUIPortAskedForAndFreeDistinctPortsForTheRest(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		kept  []bool // whether addrs[i] comes back as given
	}{
		{"a port asked for is kept", []string{"127.0.0.1:8025", "127.0.0.1:0"}, []bool{true, false}},
		{"two free ports differ", []string{"127.0.0.1:0", "127.0.0.1:0"}, []bool{false, false}},
		{"many free ports differ", []string{"127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"}, []bool{false, false, false, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 200 {
				got, err := withFreePorts(tt.addrs...)
				if err != nil {
					t.Fatal(err)
				}
				seen := map[string]bool{}
				for i, addr := range got {
					host, port, err := net.SplitHostPort(addr)
					if err != nil || host != "127.0.0.1" || port == "0" {
						t.Fatalf("withFreePorts(%q)[%d] = %q, want a loopback address with a port", tt.addrs, i, addr)
					}
					if tt.kept[i] != (addr == tt.addrs[i]) {
						t.Fatalf("withFreePorts(%q)[%d] = %q, want kept as given: %v", tt.addrs, i, addr, tt.kept[i])
					}
					if seen[port] {
						t.Fatalf("withFreePorts(%q) = %q: port %s given twice", tt.addrs, got, port)
					}
					seen[port] = true
				}
			}
		})
	}
}

func TestMailpitPortsRefuseAnAddressWithoutAPort(t *testing.T) {
	if _, err := withFreePorts("127.0.0.1"); err == nil {
		t.Error("withFreePorts(127.0.0.1) succeeded, want an error naming the missing port")
	}
}
