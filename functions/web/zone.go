package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	// The zone names browsers report must load wherever the function
	// runs, whether or not its image has a zoneinfo database.
	_ "time/tzdata"
)

// zoneCookie holds the visitor's IANA time zone, such as "Europe/Paris",
// which static/zone.js writes from the browser's
// Intl.DateTimeFormat().resolvedOptions().timeZone. The server knows no
// other way to tell it: without it (no JavaScript, or a first visit)
// times are shown in UTC, and say so.
const zoneCookie = "tz"

// zoneField is the hidden input of the sell and edit forms that
// static/zone.js fills with the browser's zone, in which the start typed
// in a datetime-local input is read.
const zoneField = "tz"

// zoneOf returns the time zone that name names, or UTC when it names none
// the server knows. "Local" and "" are the server's own zone, never the
// visitor's, and read as UTC.
func zoneOf(name string) *time.Location {
	name = strings.TrimSpace(name)
	if name == "" || name == "Local" || len(name) > 64 {
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// visitorZone returns the zone r's visitor's pages show times in: the
// zone cookie's, else UTC.
func visitorZone(r *http.Request) *time.Location {
	ck, err := r.Cookie(zoneCookie)
	if err != nil {
		return time.UTC
	}
	name, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return time.UTC
	}
	return zoneOf(name)
}

// formZone returns the zone a posted form's times were typed in: the
// form's zone field, which the page's script fills, else the visitor's.
func formZone(r *http.Request) *time.Location {
	if name := r.PostFormValue(zoneField); name != "" {
		return zoneOf(name)
	}
	return visitorZone(r)
}

// localLayout is how a datetime-local input shows a time.
const localLayout = "2006-01-02T15:04"

// localInput is t in loc as a datetime-local input's value, with its
// seconds when it has any, so that saving the form again keeps t.
func localInput(t time.Time, loc *time.Location) string {
	t = t.In(loc)
	if t.Second() != 0 {
		return t.Format(localLayout + ":05")
	}
	return t.Format(localLayout)
}

// startOf converts a datetime-local value typed in loc to RFC 3339. What
// no datetime-local input sends is passed on as typed, trimmed, for the
// API to say what is wrong with it.
func startOf(local string, loc *time.Location) string {
	local = strings.TrimSpace(local)
	for _, layout := range untilLayouts {
		if t, err := time.ParseInLocation(layout, local, loc); err == nil {
			return t.Format(time.RFC3339)
		}
	}
	return local
}

// eventTime writes when an event starts for people, in loc, always naming
// the zone: "Fri 3 Jan 2030, 20:00 CET".
func eventTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}
