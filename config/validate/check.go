package validate

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	eventingconfig "knative.dev/eventing/pkg/apis/config"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	eventingv1alpha1 "knative.dev/eventing/pkg/apis/eventing/v1alpha1"
	"knative.dev/eventing/pkg/apis/feature"
	sourcesconfig "knative.dev/eventing/pkg/apis/sources/config"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/pkg/apis"
	servingconfig "knative.dev/serving/pkg/apis/config"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
	sigsjson "sigs.k8s.io/json"
)

// kind says how the documents of one apiVersion and kind are decoded and
// checked.
type kind struct {
	newObject func() metav1.Object
	// namespaced kinds must name their namespace: kubectl would otherwise
	// apply them to whatever namespace the current context defaults to.
	namespaced bool
	nameFn     apivalidation.ValidateNameFunc
	// crd kinds are validated against their CustomResourceDefinition's
	// schema (see NewChecker): their Go types have no Validate of their own.
	crd bool
	// policy holds this repository's own rules for the kind, if any.
	policy func(metav1.Object) error
}

// kinds lists every apiVersion and kind a manifest may have. A document of
// any other kind fails, so no manifest is deployed unvalidated.
var kinds = map[schema.GroupVersionKind]kind{
	gvk(corev1.SchemeGroupVersion, "Namespace"):      clusterScoped[corev1.Namespace](apivalidation.NameIsDNSLabel),
	gvk(corev1.SchemeGroupVersion, "ServiceAccount"): namespaced[corev1.ServiceAccount](),
	gvk(corev1.SchemeGroupVersion, "ConfigMap"):      namespaced[corev1.ConfigMap](),
	gvk(corev1.SchemeGroupVersion, "Secret"):         namespaced[corev1.Secret]().withPolicy(secretHasNoData),

	// Kubernetes' own validation of these kinds is internal to the API
	// server; the policies keep the rules the manifests could break.
	gvk(networkingv1.SchemeGroupVersion, "NetworkPolicy"): namespaced[networkingv1.NetworkPolicy]().withPolicy(checkNetworkPolicy),
	gvk(rbacv1.SchemeGroupVersion, "Role"):                namespaced[rbacv1.Role]().withPolicy(checkRole),
	gvk(rbacv1.SchemeGroupVersion, "RoleBinding"):         namespaced[rbacv1.RoleBinding]().withPolicy(checkRoleBinding),

	gvk(servingv1.SchemeGroupVersion, "Service"): namespaced[servingv1.Service](),

	gvk(eventingv1.SchemeGroupVersion, "Broker"):            namespaced[eventingv1.Broker](),
	gvk(eventingv1.SchemeGroupVersion, "Trigger"):           namespaced[eventingv1.Trigger](),
	gvk(eventingv1alpha1.SchemeGroupVersion, "EventPolicy"): namespaced[eventingv1alpha1.EventPolicy](),

	gvk(sourcesv1.SchemeGroupVersion, "PingSource"):      namespaced[sourcesv1.PingSource](),
	gvk(sourcesv1.SchemeGroupVersion, "SinkBinding"):     namespaced[sourcesv1.SinkBinding](),
	gvk(sourcesv1.SchemeGroupVersion, "ApiServerSource"): namespaced[sourcesv1.ApiServerSource](),
	gvk(sourcesv1.SchemeGroupVersion, "ContainerSource"): namespaced[sourcesv1.ContainerSource](),

	gvk(gatewayv1.SchemeGroupVersion, "Gateway"):             namespaced[gatewayv1.Gateway]().withCRD(),
	gvk(gatewayv1.SchemeGroupVersion, "HTTPRoute"):           namespaced[gatewayv1.HTTPRoute]().withCRD(),
	gvk(gatewayv1beta1.SchemeGroupVersion, "ReferenceGrant"): namespaced[gatewayv1beta1.ReferenceGrant]().withCRD(),

	gvk(gkeNetworkingV1, "HealthCheckPolicy"): namespaced[healthCheckPolicy]().withPolicy(checkHealthCheckPolicy),
	gvk(gkeNetworkingV1, "GCPBackendPolicy"):  namespaced[gcpBackendPolicy]().withPolicy(checkBackendPolicy),
}

func gvk(gv schema.GroupVersion, name string) schema.GroupVersionKind { return gv.WithKind(name) }

// object is a pointer to a Kubernetes API type.
type object[T any] interface {
	*T
	metav1.Object
}

func namespaced[T any, P object[T]]() kind {
	return kind{
		newObject:  func() metav1.Object { return P(new(T)) },
		namespaced: true,
		nameFn:     apivalidation.NameIsDNSSubdomain,
	}
}

func clusterScoped[T any, P object[T]](nameFn apivalidation.ValidateNameFunc) kind {
	return kind{newObject: func() metav1.Object { return P(new(T)) }, nameFn: nameFn}
}

func (k kind) withCRD() kind {
	k.crd = true
	return k
}

func (k kind) withPolicy(policy func(metav1.Object) error) kind {
	k.policy = policy
	return k
}

// secretHasNoData refuses committed secret values: Secrets are created in
// the cluster (config/secrets/README.md), manifests only reference them.
func secretHasNoData(obj metav1.Object) error {
	secret := obj.(*corev1.Secret)
	if len(secret.Data) > 0 || len(secret.StringData) > 0 {
		return errors.New("data, stringData: a committed Secret must not carry values; create it in the cluster (see config/secrets/README.md)")
	}
	return nil
}

// Check decodes doc strictly (unknown, duplicate or mis-cased fields fail)
// into the Go type registered for its apiVersion and kind, applies the type's
// defaults, then validates its metadata as the API server does and the whole
// object with the type's own Validate, as Knative's admission webhooks do on
// create. A custom resource whose Go type has no Validate (the Gateway API
// kinds) is validated instead against the schema and CEL rules of its
// CustomResourceDefinition, which the Checker must have been given. It returns the
// warning-level findings, and an error naming doc that joins every
// error-level finding.
func (c *Checker) Check(doc Document) (warnings []string, err error) {
	if doc.APIVersion == "" || doc.Kind == "" {
		return nil, fmt.Errorf("%s: apiVersion and kind are required", doc)
	}
	gvk := schema.FromAPIVersionAndKind(doc.APIVersion, doc.Kind)
	k, ok := kinds[gvk]
	if !ok {
		return nil, fmt.Errorf("%s: unknown kind %q of apiVersion %q: add it to the kinds in config/validate/check.go so it is validated", doc, doc.Kind, doc.APIVersion)
	}
	obj := k.newObject()
	strictErrs, err := sigsjson.UnmarshalStrict(doc.JSON, obj)
	if err != nil {
		return nil, fmt.Errorf("%s: decode: %w", doc, err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s: decode: %w", doc, errors.Join(strictErrs...))
	}

	ctx := admissionContext()
	if d, ok := obj.(apis.Defaultable); ok {
		d.SetDefaults(ctx)
	}
	var errs []error
	for _, e := range apivalidation.ValidateObjectMetaAccessor(obj, k.namespaced, k.nameFn, field.NewPath("metadata")) {
		errs = append(errs, e)
	}
	if v, ok := obj.(apis.Validatable); ok {
		findings := v.Validate(ctx)
		for _, w := range findings.Filter(apis.WarningLevel).WrappedErrors() {
			warnings = append(warnings, fmt.Sprintf("%s: %v", doc, w))
		}
		for _, e := range findings.Filter(apis.ErrorLevel).WrappedErrors() {
			errs = append(errs, e)
		}
	}
	if k.crd {
		if s := c.crds[gvk]; s != nil {
			errs = append(errs, s.validate(ctx, doc.JSON)...)
		} else {
			errs = append(errs, fmt.Errorf("no CustomResourceDefinition loaded for %s: give NewChecker the one that serves it", gvk))
		}
	}
	if k.policy != nil {
		if err := k.policy(obj); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return warnings, fmt.Errorf("%s: %w", doc, errors.Join(errs...))
	}
	return warnings, nil
}

// EventingFeatures are the flags of Knative Eventing's config-features
// that the cluster must set (the README's cluster prerequisites): the
// event plane authenticates its senders. Every other flag, of Eventing and
// of Serving, keeps its shipped default.
var EventingFeatures = map[string]string{
	feature.OIDCAuthentication:  "enabled",
	feature.TransportEncryption: "permissive",
}

// admissionContext returns the context Knative's webhooks validate a new
// object in, with EventingFeatures set and every other feature flag and
// default at its shipped value.
func admissionContext() context.Context {
	ctx := apis.WithinCreate(context.Background())
	ctx = servingconfig.ToContext(ctx, servingconfig.FromContextOrDefaults(ctx))
	ctx = eventingconfig.ToContext(ctx, eventingconfig.FromContextOrDefaults(ctx))
	ctx = sourcesconfig.ToContext(ctx, sourcesconfig.FromContextOrDefaults(ctx))
	flags, err := feature.NewFlagsConfigFromMap(EventingFeatures)
	if err != nil {
		panic(fmt.Sprintf("EventingFeatures: %v", err))
	}
	return feature.ToContext(ctx, flags)
}
