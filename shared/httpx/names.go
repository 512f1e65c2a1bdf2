package httpx

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strings"

	"github.com/buytickets/buytickets/shared/apperr"
)

// checkNames refuses what encoding/json lets through in a well-formed body
// bound for a value of type t: the same name twice in one object (the last
// would silently win), also when the two differ only in case, and a name
// that matches a field only case-insensitively ("TITLE" for "title").
// encoding/json/v2 refuses both, but sits behind GOEXPERIMENT=jsonv2 in Go
// 1.26, so this walks the tokens beside the type instead. Names that match
// no field at all are left to DisallowUnknownFields.
func checkNames(raw []byte, t reflect.Type) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return walkNames(dec, t)
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// walkNames reads one value from dec, checking the names of every object
// in it against t (nil when nothing is known of the value's type).
func walkNames(dec *json.Decoder, t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (reflect.PointerTo(t).Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler)) {
		t = nil // the type reads the value itself
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if err := walkNames(dec, elem); err != nil {
				return err
			}
		}
		_, err := dec.Token()
		return err
	}
	return nil
}

// walkObject reads the members of an object whose '{' was read.
func walkObject(dec *json.Decoder, t reflect.Type) error {
	var fields map[string]reflect.Type
	var elem reflect.Type
	switch {
	case t != nil && t.Kind() == reflect.Struct:
		fields = jsonFields(t)
	case t != nil && t.Kind() == reflect.Map:
		elem = t.Elem()
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		folded := strings.ToLower(name)
		if seen[folded] {
			return &apperr.Error{Kind: apperr.Invalid, Field: name, Message: "Duplicate field"}
		}
		seen[folded] = true
		next := elem
		if fields != nil {
			var ok bool
			if next, ok = fields[name]; !ok {
				for known := range fields {
					if strings.EqualFold(known, name) {
						return &apperr.Error{Kind: apperr.Invalid, Field: name, Message: "Unknown field"}
					}
				}
			}
		}
		if err := walkNames(dec, next); err != nil {
			return err
		}
	}
	_, err := dec.Token()
	return err
}

// jsonFields are the names encoding/json gives the fields of struct type
// t, embedded structs' included, with their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	fields := map[string]reflect.Type{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous && f.Type.Kind() == reflect.Struct && f.Tag.Get("json") == "" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		fields[name] = f.Type
	}
	return fields
}
