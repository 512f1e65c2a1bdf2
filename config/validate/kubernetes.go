package validate

import (
	"errors"
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The API server validates NetworkPolicies and RBAC objects with code of
// its own (k8s.io/kubernetes), which is not a library. The policies below
// keep the rules of it that a manifest here could break, with
// apimachinery's validation of label selectors.

// checkNetworkPolicy refuses a NetworkPolicy the API server would: a
// malformed selector, an unknown policy type, or a peer that names
// neither pods, namespaces nor addresses, or mixes addresses with either.
func checkNetworkPolicy(obj metav1.Object) error {
	np := obj.(*networkingv1.NetworkPolicy)
	spec := field.NewPath("spec")
	errs := metavalidation.ValidateLabelSelector(&np.Spec.PodSelector, metavalidation.LabelSelectorValidationOptions{}, spec.Child("podSelector"))
	for i, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), t, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}))
		}
	}
	for i, rule := range np.Spec.Ingress {
		for j, peer := range rule.From {
			errs = append(errs, checkPeer(peer, spec.Child("ingress").Index(i).Child("from").Index(j))...)
		}
	}
	for i, rule := range np.Spec.Egress {
		for j, peer := range rule.To {
			errs = append(errs, checkPeer(peer, spec.Child("egress").Index(i).Child("to").Index(j))...)
		}
	}
	return errs.ToAggregate()
}

func checkPeer(peer networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	opts := metavalidation.LabelSelectorValidationOptions{}
	errs := metavalidation.ValidateLabelSelector(peer.PodSelector, opts, path.Child("podSelector"))
	errs = append(errs, metavalidation.ValidateLabelSelector(peer.NamespaceSelector, opts, path.Child("namespaceSelector"))...)
	selects := peer.PodSelector != nil || peer.NamespaceSelector != nil
	switch {
	case peer.IPBlock != nil && selects:
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	case peer.IPBlock == nil && !selects:
		errs = append(errs, field.Required(path, "must specify a peer"))
	}
	return errs
}

// checkRole refuses a rule that grants nothing or that a namespaced Role
// cannot hold.
func checkRole(obj metav1.Object) error {
	role := obj.(*rbacv1.Role)
	var errs []error
	for i, rule := range role.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		if len(rule.Verbs) == 0 {
			errs = append(errs, fmt.Errorf("%s.verbs: Required value: verbs must contain at least one value", path))
		}
		if len(rule.NonResourceURLs) > 0 {
			errs = append(errs, fmt.Errorf("%s.nonResourceURLs: Invalid value: namespaced rules cannot apply to non-resource URLs", path))
		}
		if len(rule.APIGroups) == 0 || len(rule.Resources) == 0 {
			errs = append(errs, fmt.Errorf("%s: Required value: resource rules must supply at least one api group and one resource", path))
		}
	}
	return errors.Join(errs...)
}

// checkRoleBinding refuses a binding to something other than a role, or to
// a subject of an unknown kind.
func checkRoleBinding(obj metav1.Object) error {
	rb := obj.(*rbacv1.RoleBinding)
	var errs []error
	if rb.RoleRef.APIGroup != rbacv1.GroupName {
		errs = append(errs, fmt.Errorf("roleRef.apiGroup: Unsupported value: %q: supported values: %q", rb.RoleRef.APIGroup, rbacv1.GroupName))
	}
	if rb.RoleRef.Kind != "Role" && rb.RoleRef.Kind != "ClusterRole" {
		errs = append(errs, fmt.Errorf(`roleRef.kind: Unsupported value: %q: supported values: "ClusterRole", "Role"`, rb.RoleRef.Kind))
	}
	if rb.RoleRef.Name == "" {
		errs = append(errs, errors.New("roleRef.name: Required value"))
	}
	for i, s := range rb.Subjects {
		path := fmt.Sprintf("subjects[%d]", i)
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("%s.name: Required value", path))
		}
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if s.APIGroup != "" {
				errs = append(errs, fmt.Errorf(`%s.apiGroup: Unsupported value: %q: supported values: ""`, path, s.APIGroup))
			}
		case rbacv1.UserKind, rbacv1.GroupKind:
			if s.APIGroup != rbacv1.GroupName {
				errs = append(errs, fmt.Errorf("%s.apiGroup: Unsupported value: %q: supported values: %q", path, s.APIGroup, rbacv1.GroupName))
			}
		default:
			errs = append(errs, fmt.Errorf(`%s.kind: Unsupported value: %q: supported values: "Group", "ServiceAccount", "User"`, path, s.Kind))
		}
	}
	return errors.Join(errs...)
}
