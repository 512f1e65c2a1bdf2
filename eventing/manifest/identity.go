package manifest

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
)

// ServiceAccount is the subject of the tokens of a Kubernetes service
// account: what Kubernetes writes in the "sub" claim.
func ServiceAccount(namespace, name string) string {
	return "system:serviceaccount:" + namespace + ":" + name
}

// BrokerAudience is the audience of the tokens a Broker accepts, as
// Knative names it (knative.dev/eventing, pkg/auth.GetAudience).
func BrokerAudience(namespace, name string) string {
	return "eventing.knative.dev/broker/" + namespace + "/" + name
}

// Identity is the subject of the tokens the broker presents when it
// delivers for the Trigger: the Trigger's own OIDC service account.
func (t Trigger) Identity() string {
	return ServiceAccount(t.Namespace, oidcAccount(t.Name, "eventing.knative.dev", "Trigger"))
}

// Identity is the subject of the tokens the PingSource presents to its sink.
func (p PingSource) Identity() string {
	return ServiceAccount(p.Namespace, oidcAccount(p.Name, "sources.knative.dev", "PingSource"))
}

// oidcAccount names the OIDC service account Knative creates for a
// resource, as knative.dev/eventing's
// auth.GetOIDCServiceAccountNameForResource does through kmeta.ChildName:
// the name with the suffix "-oidc-<group>-<Kind>", or, when that is longer
// than the 63 characters a name may have, the head of the name and an MD5
// of both (the Kind as written, such as "Trigger"), all in lower case. Written here rather than imported, so that a function's binary
// does not carry Kubernetes' API machinery; config/validate checks it
// against Knative's own for every manifest.
func oidcAccount(name, group, kind string) string {
	const longest, head = 63, 63 - 2*md5.Size
	suffix := "-oidc-" + group + "-" + kind
	if len(name)+len(suffix) <= longest {
		return strings.ToLower(name + suffix)
	}
	sum := md5.Sum([]byte(name + suffix))
	short := name[:min(head, len(name))] + hex.EncodeToString(sum[:])
	if d := longest - len(short); d > 0 {
		short += suffix[:d]
	}
	// kmeta ends a name on a letter or digit.
	return strings.ToLower(strings.TrimRightFunc(short, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}))
}
