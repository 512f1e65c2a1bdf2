// Package api is the web function's client of the marketplace's HTTP API
// (DESIGN §3). Each call is made on behalf of one browser request, through
// its Session: the browser's cookies go with the call, and the cookies the
// API sets come back to be passed to the browser. A call that the API
// refuses because the access token has expired is retried once after
// POST /api/users/refresh, with the refresh cookie the browser holds.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/buytickets/buytickets/shared/tracing"
)

// maxResponseBytes bounds what the client reads of one answer.
const maxResponseBytes = 4 << 20

// requestIDHeader carries the browser request's id to the API.
const requestIDHeader = "X-Request-Id"

// Client calls the API at one base URL.
type Client struct {
	base *url.URL
	http *http.Client
}

// New returns a client of the API at baseURL, such as
// "https://buytickets.dev" or "http://127.0.0.1:8080", which answers every
// /api/ path. It calls through hc, which must keep no cookies of its own:
// cookies belong to the browser each call is made for.
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api.New: %q is not an http or https URL", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	if hc.Jar != nil {
		return nil, errors.New("api.New: the HTTP client must not keep cookies")
	}
	// The API answers, it does not redirect; a redirect would be followed
	// with the browser's cookies to wherever it points.
	client := *hc
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	u.Path = strings.TrimSuffix(u.Path, "/")
	return &Client{base: u, http: &client}, nil
}

// Problem is one entry of the API's {"errors":[...]}: a message, and the
// field it is about for an input error.
type Problem struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// Error is an answer of the API that is not a success: its status and
// its problems.
type Error struct {
	Status   int
	Problems []Problem
	// RetryAfter is the answer's Retry-After, for a 429 or a 503.
	RetryAfter string
}

// Error returns the status and the problems' messages.
func (e *Error) Error() string {
	msgs := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		if p.Field != "" {
			msgs = append(msgs, p.Field+": "+p.Message)
			continue
		}
		msgs = append(msgs, p.Message)
	}
	return fmt.Sprintf("api: %d %s", e.Status, strings.Join(msgs, "; "))
}

// Fields returns the first message about each field.
func (e *Error) Fields() map[string]string {
	out := map[string]string{}
	for _, p := range e.Problems {
		if _, seen := out[p.Field]; p.Field != "" && !seen {
			out[p.Field] = p.Message
		}
	}
	return out
}

// Messages returns the messages that are about no field.
func (e *Error) Messages() []string {
	var out []string
	for _, p := range e.Problems {
		if p.Field == "" {
			out = append(out, p.Message)
		}
	}
	return out
}

// StatusOf returns the status of the API's answer err holds, or 0 when
// err is not an answer of the API (the API could not be reached).
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// request is one call: its method, path and JSON body, if any. Calls with
// auth set act for the signed-in user and refresh an expired session.
type request struct {
	method string
	path   string
	body   any
	auth   bool
	// accepted is set when the API has just accepted the session in this
	// visit: a 401 then refuses the caller, and no refresh is tried.
	accepted bool
}

// call makes req for s and decodes a success into out, if given. It
// returns the answer's header.
func (c *Client) call(ctx context.Context, s *Session, req request, out any) (http.Header, error) {
	if req.auth && !s.HasAccess() {
		// The browser dropped an expired access token but kept the
		// refresh token: refresh first rather than be refused.
		if err := c.refresh(ctx, s); err != nil && StatusOf(err) != http.StatusUnauthorized {
			return nil, err
		}
	}
	resp, body, err := c.send(ctx, s, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && req.auth && !req.accepted {
		switch err := c.refresh(ctx, s); {
		case err == nil:
			if resp, body, err = c.send(ctx, s, req); err != nil {
				return nil, err
			}
		case StatusOf(err) != http.StatusUnauthorized:
			return nil, err
		}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, errorOf(resp, body)
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return nil, fmt.Errorf("api: %s %s: decode: %w", req.method, req.path, err)
		}
	}
	return resp.Header, nil
}

// refresh exchanges s's refresh cookie for new session cookies, once per
// session. It answers an *Error with status 401 when there is nothing to
// refresh with or auth refused it.
func (c *Client) refresh(ctx context.Context, s *Session) error {
	if !s.startRefresh() {
		return &Error{Status: http.StatusUnauthorized, Problems: []Problem{{Message: "Not authorized"}}}
	}
	resp, body, err := c.send(ctx, s, request{method: http.MethodPost, path: "/api/users/refresh"})
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errorOf(resp, body)
	}
	return nil
}

// send makes one HTTP request with s's cookies and records the cookies the
// answer sets.
func (c *Client) send(ctx context.Context, s *Session, req request) (*http.Response, []byte, error) {
	var rd io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, nil, fmt.Errorf("api: %s %s: encode: %w", req.method, req.path, err)
		}
		rd = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, c.base.String()+req.path, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("api: %s %s: %w", req.method, req.path, err)
	}
	hr.Header.Set("Accept", "application/json")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if s.requestID != "" {
		hr.Header.Set(requestIDHeader, s.requestID)
	}
	// The page's trace goes on into the API it calls.
	tracing.Inject(ctx, hr.Header)
	for _, ck := range s.cookieList() {
		hr.AddCookie(ck)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		// The URL carries no secret; the cookies are not in the error.
		return nil, nil, fmt.Errorf("api: %s %s: %w", req.method, req.path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("api: %s %s: read: %w", req.method, req.path, err)
	}
	s.record(resp)
	return resp, body, nil
}

// errorOf reads an answer that is not a success as an *Error. An answer
// not in the API's error shape (a proxy's page, say) keeps its status with
// a generic message.
func errorOf(resp *http.Response, body []byte) error {
	var shape struct {
		Errors []Problem `json:"errors"`
	}
	if err := json.Unmarshal(body, &shape); err != nil || len(shape.Errors) == 0 {
		shape.Errors = []Problem{{Message: http.StatusText(resp.StatusCode)}}
	}
	return &Error{Status: resp.StatusCode, Problems: shape.Errors, RetryAfter: resp.Header.Get("Retry-After")}
}
