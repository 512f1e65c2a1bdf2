package validate

import (
	"errors"
	"fmt"
	"math"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
)

// GKE configures the load balancer of a Gateway through its own policy
// kinds (networking.gke.io/v1). Their Go types are published in a module the
// Go module proxy does not serve, so the types below declare only the fields
// this repository sets: strict decoding refuses any other, and the checks
// keep the ranges GKE documents for them.

var gkeNetworkingV1 = schema.GroupVersion{Group: "networking.gke.io", Version: "v1"}

// gkePolicyTarget is the object a GKE policy attaches to: for a
// single-cluster Gateway, a Service in the policy's namespace.
type gkePolicyTarget struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// gkeServicePolicy is a GKE policy kind attached to a Service (TargetRef); D is
// the kind's own settings, those of its spec.default.
type gkeServicePolicy[D any] struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              struct {
		TargetRef gkePolicyTarget `json:"targetRef"`
		Default   *D              `json:"default,omitempty"`
	} `json:"spec"`
}

// healthCheckPolicy sets the load balancer's health check of the backends
// behind a Service.
type healthCheckPolicy = gkeServicePolicy[struct {
	CheckIntervalSec   *int64 `json:"checkIntervalSec,omitempty"`
	TimeoutSec         *int64 `json:"timeoutSec,omitempty"`
	HealthyThreshold   *int64 `json:"healthyThreshold,omitempty"`
	UnhealthyThreshold *int64 `json:"unhealthyThreshold,omitempty"`
	Config             *struct {
		Type string `json:"type"`
		HTTP *struct {
			PortSpecification string `json:"portSpecification,omitempty"`
			Port              *int64 `json:"port,omitempty"`
			Host              string `json:"host,omitempty"`
			RequestPath       string `json:"requestPath,omitempty"`
		} `json:"httpHealthCheck,omitempty"`
	} `json:"config,omitempty"`
}]

// gcpBackendPolicy sets the load balancer's backend service options of a
// Service; only the request timeout is used here.
type gcpBackendPolicy = gkeServicePolicy[struct {
	TimeoutSec *int64 `json:"timeoutSec,omitempty"`
}]

// checkTarget refuses a target other than a Service: GKE attaches these
// policies of a single-cluster Gateway to Services only.
func checkTarget(t gkePolicyTarget) error {
	if t.Group != "" || t.Kind != "Service" || t.Name == "" {
		return fmt.Errorf("spec.targetRef: must name a Service (group \"\", kind Service), got group %q kind %q name %q", t.Group, t.Kind, t.Name)
	}
	return nil
}

// inRange returns an error naming path when v is set and outside [lo, hi].
func inRange(path string, v *int64, lo, hi int64) error {
	if v != nil && (*v < lo || *v > hi) {
		return fmt.Errorf("%s: %d is outside %d..%d", path, *v, lo, hi)
	}
	return nil
}

func checkHealthCheckPolicy(obj metav1.Object) error {
	p := obj.(*healthCheckPolicy)
	errs := []error{checkTarget(p.Spec.TargetRef)}
	d := p.Spec.Default
	if d == nil || d.Config == nil {
		return errors.Join(append(errs, errors.New("spec.default.config: required: without it the policy changes nothing"))...)
	}
	errs = append(errs,
		inRange("spec.default.checkIntervalSec", d.CheckIntervalSec, 1, 300),
		inRange("spec.default.timeoutSec", d.TimeoutSec, 1, 300),
		inRange("spec.default.healthyThreshold", d.HealthyThreshold, 1, 10),
		inRange("spec.default.unhealthyThreshold", d.UnhealthyThreshold, 1, 10),
	)
	interval := int64(5) // GKE's default
	if d.CheckIntervalSec != nil {
		interval = *d.CheckIntervalSec
	}
	if d.TimeoutSec != nil && *d.TimeoutSec > interval {
		errs = append(errs, fmt.Errorf("spec.default.timeoutSec: %d exceeds the check interval of %d s", *d.TimeoutSec, interval))
	}
	c := d.Config
	if c.Type != "HTTP" || c.HTTP == nil {
		// Each type has its own block; only HTTP's is declared above.
		return errors.Join(append(errs, fmt.Errorf("spec.default.config: type %q: want type HTTP with httpHealthCheck", c.Type))...)
	}
	h := c.HTTP
	switch h.PortSpecification {
	case "", "USE_FIXED_PORT", "USE_NAMED_PORT", "USE_SERVING_PORT":
	default:
		errs = append(errs, fmt.Errorf("spec.default.config.httpHealthCheck.portSpecification: unknown value %q", h.PortSpecification))
	}
	errs = append(errs, inRange("spec.default.config.httpHealthCheck.port", h.Port, 1, 65535))
	if h.Host != "" {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(h.Host) {
			errs = append(errs, fmt.Errorf("spec.default.config.httpHealthCheck.host: %q: %s", h.Host, msg))
		}
	}
	if h.RequestPath != "" && !strings.HasPrefix(h.RequestPath, "/") {
		errs = append(errs, fmt.Errorf("spec.default.config.httpHealthCheck.requestPath: %q must start with /", h.RequestPath))
	}
	return errors.Join(errs...)
}

func checkBackendPolicy(obj metav1.Object) error {
	p := obj.(*gcpBackendPolicy)
	errs := []error{checkTarget(p.Spec.TargetRef)}
	if d := p.Spec.Default; d != nil {
		errs = append(errs, inRange("spec.default.timeoutSec", d.TimeoutSec, 1, math.MaxInt32))
	}
	return errors.Join(errs...)
}
