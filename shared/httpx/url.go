package httpx

import "net/url"

// HTTPURL parses s as an absolute http or https URL with a host, the form
// of every setting that names where to send requests; ok is false for
// anything else (a relative URL, a bare host:port, another scheme).
func HTTPURL(s string) (u *url.URL, ok bool) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}
