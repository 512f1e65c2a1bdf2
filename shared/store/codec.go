package store

// The codec turns a document struct into the canonical form both drivers
// store, and back. It is written here rather than borrowed because each
// driver's own encoder serves only that driver (Firestore's is unexported,
// encoding/json loses time types and orders them wrongly), and the contract
// needs one encoding whose nulls, missing fields and times agree in both.
//
// Canonical values are nil, bool, int64, float64, string, time.Time (UTC,
// millisecond precision), []any and map[string]any.

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
)

// TimeFormat is the fixed-width text form of a canonical time, used where a
// driver stores times as text: its byte order is its time order.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

var timeType = reflect.TypeFor[time.Time]()

// Encode returns the canonical form of doc, a struct or a pointer to one.
func Encode(doc any) (map[string]any, error) {
	v := reflect.ValueOf(doc)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil, fmt.Errorf("store: encode nil %T", doc)
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil, fmt.Errorf("store: encode %T: documents are structs", doc)
	}
	m, err := encodeValue(v)
	if err != nil {
		return nil, err
	}
	return m.(map[string]any), nil
}

// EncodeValue returns the canonical form of one value, as filters compare it.
func EncodeValue(value any) (any, error) {
	if value == nil {
		return nil, nil
	}
	return encodeValue(reflect.ValueOf(value))
}

// CanonicalTime is t as stored: UTC, truncated to the millisecond.
func CanonicalTime(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func encodeValue(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	if v.Type() == timeType {
		return CanonicalTime(v.Interface().(time.Time)), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return encodeValue(v.Elem())
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if v.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("store: %d overflows a stored integer", v.Uint())
		}
		return int64(v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("store: %v cannot be stored", f)
		}
		return f, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		out := make([]any, v.Len())
		for i := range out {
			e, err := encodeValue(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("store: map keys must be strings, not %s", v.Type().Key())
		}
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			e, err := encodeValue(it.Value())
			if err != nil {
				return nil, err
			}
			out[it.Key().String()] = e
		}
		return out, nil
	case reflect.Struct:
		fields := fieldsOf(v.Type())
		out := make(map[string]any, len(fields))
		for _, f := range fields {
			fv := v.FieldByIndex(f.index)
			if f.omitEmpty && fv.IsZero() {
				continue
			}
			e, err := encodeValue(fv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.name, err)
			}
			out[f.name] = e
		}
		return out, nil
	default:
		return nil, fmt.Errorf("store: cannot store a %s", v.Type())
	}
}

// Decode fills dst, a pointer to a struct, from a canonical document. Fields
// absent from the document are left zero; fields unknown to dst are ignored.
func Decode(doc map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("store: decode into %T: need a non-nil pointer", dst)
	}
	v.Elem().SetZero()
	return decodeValue(doc, v.Elem())
}

func decodeValue(src any, dst reflect.Value) error {
	if src == nil {
		dst.SetZero()
		return nil
	}
	if n, ok := src.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			src = i
		} else if f, err := n.Float64(); err == nil {
			src = f
		} else {
			return fmt.Errorf("store: bad number %q", n)
		}
	}
	if dst.Type() == timeType {
		switch s := src.(type) {
		case time.Time:
			dst.Set(reflect.ValueOf(s.UTC()))
		case string:
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return fmt.Errorf("store: bad time %q: %w", s, err)
			}
			dst.Set(reflect.ValueOf(t.UTC()))
		default:
			return mismatch(src, dst)
		}
		return nil
	}
	switch dst.Kind() {
	case reflect.Pointer:
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		return decodeValue(src, dst.Elem())
	case reflect.Interface:
		if dst.NumMethod() != 0 {
			return mismatch(src, dst)
		}
		dst.Set(reflect.ValueOf(src))
	case reflect.Bool:
		b, ok := src.(bool)
		if !ok {
			return mismatch(src, dst)
		}
		dst.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := asInt(src)
		if !ok || dst.OverflowInt(i) {
			return mismatch(src, dst)
		}
		dst.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := asInt(src)
		if !ok || i < 0 || dst.OverflowUint(uint64(i)) {
			return mismatch(src, dst)
		}
		dst.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		switch n := src.(type) {
		case int64:
			dst.SetFloat(float64(n))
		case float64:
			dst.SetFloat(n)
		default:
			return mismatch(src, dst)
		}
	case reflect.String:
		s, ok := src.(string)
		if !ok {
			return mismatch(src, dst)
		}
		dst.SetString(s)
	case reflect.Slice:
		list, ok := src.([]any)
		if !ok {
			return mismatch(src, dst)
		}
		out := reflect.MakeSlice(dst.Type(), len(list), len(list))
		for i, e := range list {
			if err := decodeValue(e, out.Index(i)); err != nil {
				return err
			}
		}
		dst.Set(out)
	case reflect.Map:
		m, ok := src.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			return mismatch(src, dst)
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(m))
		for k, e := range m {
			ev := reflect.New(dst.Type().Elem()).Elem()
			if err := decodeValue(e, ev); err != nil {
				return err
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(out)
	case reflect.Struct:
		m, ok := src.(map[string]any)
		if !ok {
			return mismatch(src, dst)
		}
		for _, f := range fieldsOf(dst.Type()) {
			e, present := m[f.name]
			if !present {
				continue
			}
			if err := decodeValue(e, dst.FieldByIndex(f.index)); err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
		}
	default:
		return mismatch(src, dst)
	}
	return nil
}

func asInt(src any) (int64, bool) {
	switch n := src.(type) {
	case int64:
		return n, true
	case float64:
		if n != math.Trunc(n) || n < math.MinInt64 || n > math.MaxInt64 {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

func mismatch(src any, dst reflect.Value) error {
	return fmt.Errorf("store: cannot decode %T into %s", src, dst.Type())
}

type field struct {
	name      string
	index     []int
	omitEmpty bool
}

// fieldCache holds each struct type's stored fields, as encoding/json does:
// the layout of a type never changes, so computing it once is safe.
var fieldCache sync.Map // reflect.Type → []field

// fieldsOf returns the stored fields of t: each exported field under its
// store tag's name (its own name without one), except those tagged "-". A
// struct field tagged ",inline" is not stored under a name of its own:
// its fields lie beside t's, so that documents of several types can share
// a group of fields (as yaml's inline does).
func fieldsOf(t reflect.Type) []field {
	if cached, ok := fieldCache.Load(t); ok {
		return cached.([]field)
	}
	var fields []field
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("store")
		name, opts, _ := strings.Cut(tag, ",")
		inline := opts == "inline" && name == "" && sf.Type.Kind() == reflect.Struct && sf.Type != timeType
		// An embedded struct of an unexported type still has exported
		// fields to store, as in encoding/json.
		if tag == "-" || !sf.IsExported() && !(inline && sf.Anonymous) {
			continue
		}
		if inline {
			for _, inner := range fieldsOf(sf.Type) {
				inner.index = append([]int{i}, inner.index...)
				fields = append(fields, inner)
			}
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, field{name: name, index: []int{i}, omitEmpty: opts == "omitempty"})
	}
	fieldCache.Store(t, fields)
	return fields
}
