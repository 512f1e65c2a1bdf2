package httpxtest

import "encoding/json"

// ErrorShaped reports whether body decodes as the error shape
// {"errors":[...]} with at least one error. Unlike Errors it reads leniently
// (other fields, any Content-Type), as fuzz targets check that whatever a
// refusal answers is still shaped as one.
func ErrorShaped(body []byte) bool {
	var e struct {
		Errors []struct{ Message, Field string }
	}
	return json.Unmarshal(body, &e) == nil && len(e.Errors) > 0
}
