package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/buytickets/buytickets/shared/apperr"
)

// MaxBodyBytes is the largest request body Decode reads (1 MiB, DESIGN §3).
const MaxBodyBytes = 1 << 20

// The refusals Decode returns, so handlers and tests can compare with errors.Is.
var (
	ErrUnsupportedMediaType = apperr.New(apperr.Unsupported, "Content type must be application/json")
	ErrBodyTooLarge         = apperr.New(apperr.TooLarge, "Request body is too large")
	ErrEmptyBody            = apperr.New(apperr.Invalid, "Request body must not be empty")
	ErrMalformedJSON        = apperr.New(apperr.Invalid, "Malformed JSON")
	ErrTrailingData         = apperr.New(apperr.Invalid, "Request body must hold a single JSON value")
	ErrUnreadableBody       = apperr.New(apperr.Invalid, "Request body could not be read")
	ErrInvalidValue         = apperr.New(apperr.Invalid, "Request body has an invalid value")
)

const unknownFieldPrefix = "json: unknown field "

// Decode reads r's JSON body into dst, a non-nil pointer. It accepts only
// Content-Type application/json (a charset parameter, if any, must be
// utf-8), reads at most MaxBodyBytes, and refuses unknown fields, names
// that match a field only in another case, a name given twice in one
// object, a null or empty body and anything after the first value. Every refusal is an apperr
// error that Error answers with its status: 415, 413, or 400, the last as a
// field error when one field is at fault.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if !isJSON(r.Header.Get("Content-Type")) {
		return ErrUnsupportedMediaType
	}
	if r.Body == nil {
		return ErrEmptyBody
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))

	// Reading the raw value first separates syntax and size from shape:
	// a syntax error is malformed JSON, whatever dst is.
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		if errors.Is(err, io.EOF) {
			return ErrEmptyBody
		}
		return readError(err)
	}
	switch err := dec.Decode(new(json.RawMessage)); {
	case errors.Is(err, io.EOF):
	case err == nil, isSyntaxError(err), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTrailingData
	default:
		return readError(err)
	}
	if bytes.Equal(raw, []byte("null")) {
		return apperr.New(apperr.Invalid, "Request body must be "+describe(reflect.TypeOf(dst)))
	}

	if err := checkNames(raw, reflect.TypeOf(dst)); err != nil {
		return err
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return shapeError(err, dst)
	}
	return nil
}

// isJSON reports whether a Content-Type header names JSON in UTF-8.
func isJSON(contentType string) bool {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "application/json" {
		return false
	}
	charset, ok := params["charset"]
	return !ok || strings.EqualFold(charset, "utf-8")
}

func isSyntaxError(err error) bool {
	var syntax *json.SyntaxError
	return errors.As(err, &syntax)
}

// readError classifies an error from reading the body as JSON.
func readError(err error) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return ErrBodyTooLarge
	case isSyntaxError(err), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrMalformedJSON
	default:
		// The client went away or the connection broke mid-body.
		return ErrUnreadableBody.With(err)
	}
}

// shapeError classifies an error from decoding well-formed JSON into dst.
func shapeError(err error, dst any) error {
	var typeErr *json.UnmarshalTypeError
	var invalid *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &invalid):
		return fmt.Errorf("httpx.Decode: %w", err)
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return apperr.Wrap(apperr.Invalid, "Request body must be "+describe(typeErr.Type), err)
		}
		return &apperr.Error{
			Kind:    apperr.Invalid,
			Field:   typeErr.Field,
			Message: typeErr.Field + " must be " + describe(typeErr.Type),
			Err:     err,
		}
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		// encoding/json has no typed error for unknown fields; its message is stable.
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), unknownFieldPrefix))
		if uerr != nil {
			name = strings.TrimPrefix(err.Error(), unknownFieldPrefix)
		}
		return &apperr.Error{Kind: apperr.Invalid, Field: name, Message: "Unknown field", Err: err}
	default:
		// A field's own UnmarshalJSON refused the value (a time that is not RFC 3339, say).
		return ErrInvalidValue.With(err)
	}
}

// describe names what a JSON value must look like to decode into t.
func describe(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	default:
		return "a valid value"
	}
}
