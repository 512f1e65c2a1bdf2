// Package config fills a function's settings struct from the environment
// (DESIGN §7). Each field names its variable in an env tag, with an optional
// default and required flag:
//
//	type Config struct {
//		Port       string        `env:"PORT" default:"8080"`
//		JWTKey     string        `env:"JWT_KEY" required:"true"`
//		Expiration time.Duration `env:"ORDER_EXPIRATION_WINDOW" default:"15m"`
//		Store      store.Config  // a shared piece, filled from its own tags
//	}
//
// A variable that is unset or empty takes the default. Supported field types
// are string, bool, the integer and float kinds, time.Duration, []string
// (comma separated) and any type implementing encoding.TextUnmarshaler.
// A struct field without an env tag is filled from its own fields' tags;
// other fields without a tag are left alone, so a struct can also carry
// values a caller sets in code.
package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Validator is implemented by a settings struct that checks its values as a
// whole once they are loaded (a URL that must parse, settings that go together).
type Validator interface {
	Validate() error
}

// Load fills the struct dst points to, using lookup to read each variable
// (os.LookupEnv in production, Map in tests and the embedded stack). It
// reports every missing required setting and every value that does not
// parse in one line, naming the variables but never their values, such as
// "config: missing required setting JWT_KEY". When everything parsed, it
// calls Validate on each struct that implements Validator, inner structs first.
func Load(lookup func(string) (string, bool), dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("config.Load: want a non-nil pointer to a struct, got %T", dst)
	}
	l := &loader{lookup: lookup}
	l.fill(v.Elem())

	var problems []string
	switch len(l.missing) {
	case 0:
	case 1:
		problems = append(problems, "missing required setting "+l.missing[0])
	default:
		problems = append(problems, "missing required settings "+strings.Join(l.missing, ", "))
	}
	problems = append(problems, l.invalid...)
	if len(problems) == 0 {
		for _, val := range l.validators {
			if err := val.Validate(); err != nil {
				problems = append(problems, err.Error())
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("config: %s", strings.Join(problems, "; "))
	}
	return nil
}

// FromEnv is Load reading the process environment.
func FromEnv(dst any) error {
	return Load(os.LookupEnv, dst)
}

// Map returns a lookup function reading m, for tests and for building a
// function's settings in code. A nil map has no variables, so Load applies
// the defaults only.
func Map(m map[string]string) func(string) (string, bool) {
	return func(key string) (string, bool) {
		v, ok := m[key]
		return v, ok
	}
}

type loader struct {
	lookup     func(string) (string, bool)
	missing    []string
	invalid    []string
	validators []Validator
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	validatorType       = reflect.TypeFor[Validator]()
)

// fill sets the fields of the struct v from their tags, recursing into
// untagged struct fields.
func (l *loader) fill(v reflect.Value) {
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, tagged := f.Tag.Lookup("env")
		if !f.IsExported() || name == "-" {
			continue
		}
		field := v.Field(i)
		if !tagged || name == "" {
			if f.Type.Kind() == reflect.Struct && !reflect.PointerTo(f.Type).Implements(textUnmarshalerType) {
				l.fill(field)
			}
			continue
		}
		value, ok := l.lookup(name)
		if !ok || value == "" {
			value = f.Tag.Get("default")
		}
		if value == "" {
			if required, _ := strconv.ParseBool(f.Tag.Get("required")); required {
				l.missing = append(l.missing, name)
			}
			continue
		}
		if err := set(field, value); err != nil {
			l.invalid = append(l.invalid, fmt.Sprintf("invalid %s: %v", name, err))
		}
	}
	if v.CanAddr() && v.Addr().Type().Implements(validatorType) {
		l.validators = append(l.validators, v.Addr().Interface().(Validator))
	}
}

// set parses s into field according to the field's type. Its errors say
// what was expected, not what was given, since a value may be a secret.
func set(field reflect.Value, s string) error {
	if field.Type() == durationType {
		d, err := time.ParseDuration(s)
		if err != nil {
			return errors.New("must be a duration such as 15m or 1h30m")
		}
		field.SetInt(int64(d))
		return nil
	}
	if u, ok := field.Addr().Interface().(encoding.TextUnmarshaler); ok {
		if err := u.UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("must be a valid %s", field.Type())
		}
		return nil
	}
	switch field.Kind() {
	case reflect.String:
		field.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errors.New("must be true or false")
		}
		field.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, field.Type().Bits())
		if err != nil {
			return errors.New("must be a whole number")
		}
		field.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, field.Type().Bits())
		if err != nil {
			return errors.New("must be a whole number, zero or more")
		}
		field.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(s, field.Type().Bits())
		if err != nil {
			return errors.New("must be a number")
		}
		field.SetFloat(x)
	case reflect.Slice:
		if field.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("unsupported field type %s", field.Type())
		}
		var items []string
		for item := range strings.SplitSeq(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		field.Set(reflect.ValueOf(items).Convert(field.Type()))
	default:
		return fmt.Errorf("unsupported field type %s", field.Type())
	}
	return nil
}
