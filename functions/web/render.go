package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// templateFS holds the layout and one template per page.
//
//go:embed templates/*.html
var templateFS embed.FS

// layoutFile defines the layout every page is rendered in, and the
// partials pages share.
const layoutFile = "templates/layout.html"

// pages are the page templates, by page name (the file name without
// .html), each parsed on its first render: parsing them all took most of
// the storefront's cold start. TestEveryPageParses parses each.
type pages struct {
	byName map[string]func() (*template.Template, error)
}

// parsePages lists the pages; each is parsed, when first rendered, on a
// clone of the layout, which is parsed once.
func parsePages() (*pages, error) {
	layout := sync.OnceValues(func() (*template.Template, error) {
		t, err := template.New("layout").Funcs(templateFuncs).ParseFS(templateFS, layoutFile)
		if err != nil {
			return nil, fmt.Errorf("parse layout: %w", err)
		}
		return t, nil
	})
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	p := &pages{byName: map[string]func() (*template.Template, error){}}
	for _, file := range files {
		if file == layoutFile {
			continue
		}
		p.byName[strings.TrimSuffix(path.Base(file), ".html")] = sync.OnceValues(func() (*template.Template, error) {
			l, err := layout()
			if err != nil {
				return nil, err
			}
			t, err := l.Clone()
			if err != nil {
				return nil, fmt.Errorf("clone layout: %w", err)
			}
			if t, err = t.ParseFS(templateFS, file); err != nil {
				return nil, fmt.Errorf("parse %s: %w", file, err)
			}
			return t, nil
		})
	}
	return p, nil
}

// page is what the layout renders: the header's user, a flash message,
// the page's own scripts and its content.
type page struct {
	// Title names the page in the browser's title bar.
	Title string
	// User is the signed-in user, nil when signed out.
	User *api.User
	// Flash is a one-time message about what the previous form did.
	Flash string
	// Scripts are the script URLs the page loads, in order.
	Scripts []string
	// RefreshAfter, when positive, reloads the page after that many
	// seconds, with or without JavaScript.
	RefreshAfter int
	// Content is the page's own data.
	Content any
}

// render writes page name with p.
func (ps *pages) render(w io.Writer, name string, p page) error {
	parse, ok := ps.byName[name]
	if !ok {
		return fmt.Errorf("no page %q", name)
	}
	t, err := parse()
	if err != nil {
		return err
	}
	if err := t.ExecuteTemplate(w, "layout", p); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	return nil
}

// form is what a form shows again after the API refused it: the values
// typed (never a password), the message about each field, and the
// messages about none.
type form struct {
	Values   map[string]string
	Errors   map[string]string
	Messages []string
}

// refusedForm is the form of values refused by err. An error that is not
// a refusal of the API is shown as a message alone.
func refusedForm(err error, values map[string]string) form {
	f := form{Values: values, Errors: map[string]string{}}
	var e *api.Error
	if errors.As(err, &e) {
		f.Errors = e.Fields()
		f.Messages = e.Messages()
		for name, msg := range f.Errors {
			if _, shown := values[name]; !shown && name != "password" {
				// A field this form has no input for: say it anyway.
				f.Messages = append(f.Messages, msg)
			}
		}
		return f
	}
	f.Messages = []string{"Something went wrong. Please try again."}
	return f
}

// fieldView is one labelled input of a form, with its error.
type fieldView struct {
	ID, Name, Label, Type, InputMode, Autocomplete, Value, Error string
}

// templateFuncs are the functions the templates call.
var templateFuncs = template.FuncMap{
	"money": money,
	// when writes a time for people, in UTC: the server does not know the
	// reader's time zone. iso writes it for <time datetime>.
	"when": func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04:05 UTC") },
	"iso":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	// field describes the input name of f: its label, its type ("decimal"
	// is a text input with a decimal keyboard) and its autocomplete token.
	// Its id is name's with dots as dashes ("event.name" is
	// field-event-name), so that a CSS selector needs no escape.
	"field": func(f form, name, label, typ, autocomplete string) fieldView {
		v := fieldView{ID: "field-" + strings.ReplaceAll(name, ".", "-"), Name: name, Label: label, Type: typ,
			Autocomplete: autocomplete, Value: f.Values[name], Error: f.Errors[name]}
		if typ == "decimal" {
			v.Type, v.InputMode = "text", "decimal"
		}
		if typ == "password" {
			v.Value = ""
		}
		return v
	},
}
