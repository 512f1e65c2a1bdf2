package validate

import (
	"context"
	"errors"
	"fmt"
	"os"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"
)

// crdSchema is one served version of a CustomResourceDefinition, ready to
// validate objects as the API server does on create.
type crdSchema struct {
	structural *structuralschema.Structural
	validator  apiservervalidation.SchemaValidator
	cel        *cel.Validator
}

// Checker validates documents as a cluster would admit them (see Check),
// including custom resources whose CustomResourceDefinitions it was given.
type Checker struct {
	crds map[schema.GroupVersionKind]*crdSchema
}

// NewChecker reads the CustomResourceDefinitions in crdFiles and keeps the
// schema of every version each one serves. Its Check validates a document
// of a kind that needs its CRD (the Gateway API kinds) against these
// schemas, and fails it when no CRD given serves its apiVersion and kind.
func NewChecker(crdFiles ...string) (*Checker, error) {
	if len(crdFiles) == 0 {
		return nil, errors.New("validate.NewChecker: no CustomResourceDefinition files")
	}
	c := &Checker{crds: map[schema.GroupVersionKind]*crdSchema{}}
	for _, file := range crdFiles {
		if err := c.loadCRD(file); err != nil {
			return nil, fmt.Errorf("validate.NewChecker: %s: %w", file, err)
		}
	}
	return c, nil
}

func (c *Checker) loadCRD(file string) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(data, &crd); err != nil {
		return err
	}
	if crd.Kind != "CustomResourceDefinition" {
		return fmt.Errorf("kind %q, want CustomResourceDefinition", crd.Kind)
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served {
			continue
		}
		s, err := newCRDSchema(&crd, v.Name)
		if err != nil {
			return fmt.Errorf("version %s: %w", v.Name, err)
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		c.crds[gvk] = s
	}
	return nil
}

// newCRDSchema builds the validators of one version the way the API server
// does when it starts serving the CRD.
func newCRDSchema(crd *apiextensionsv1.CustomResourceDefinition, version string) (*crdSchema, error) {
	external, err := apihelpers.GetSchemaForVersion(crd, version)
	if err != nil {
		return nil, err
	}
	if external == nil || external.OpenAPIV3Schema == nil {
		return nil, errors.New("no schema")
	}
	var internal apiextensions.CustomResourceValidation
	if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(external, &internal, nil); err != nil {
		return nil, fmt.Errorf("convert schema: %w", err)
	}
	structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("structural schema: %w", err)
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
	if err != nil {
		return nil, fmt.Errorf("schema validator: %w", err)
	}
	return &crdSchema{
		structural: structural,
		validator:  validator,
		cel:        cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// validate checks the document as the API server checks a new custom
// resource applied with kubectl's default strict field validation: fields
// the schema does not know fail (the Go types also hold experimental fields
// that a standard-channel CRD does not serve), then defaults are applied and
// the OpenAPI schema, list-type invariants and CEL rules are evaluated.
func (s *crdSchema) validate(ctx context.Context, js []byte) []error {
	var obj map[string]any
	if err := utiljson.Unmarshal(js, &obj); err != nil {
		return []error{err}
	}
	var errs field.ErrorList
	unknown := structuralpruning.PruneWithOptions(obj, s.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, path := range unknown {
		errs = append(errs, field.Forbidden(field.NewPath(path), "unknown field: the CustomResourceDefinition does not serve it"))
	}
	structuraldefaulting.Default(obj, s.structural)
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, obj, s.validator)...)
	errs = append(errs, listtype.ValidateListSetsAndMaps(nil, s.structural, obj)...)
	if blocksCEL(errs) {
		// As the API server does: CEL rules may assume what the schema
		// guarantees, so they are not evaluated on a malformed object.
		return append(errs.ToAggregate().Errors(), errors.New("CEL validation rules not evaluated: correct the errors above first"))
	}
	celErrs, _ := s.cel.Validate(ctx, nil, s.structural, obj, nil, celconfig.RuntimeCELCostBudget)
	if errs = append(errs, celErrs...); len(errs) == 0 {
		return nil
	}
	return errs.ToAggregate().Errors()
}

// blocksCEL reports whether errs hold an error after which the API server
// does not evaluate CEL rules: a missing, mistyped, unsupported or
// oversized value.
func blocksCEL(errs field.ErrorList) bool {
	for _, e := range errs {
		switch e.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong, field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return true
		}
	}
	return false
}
