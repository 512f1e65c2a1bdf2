package web

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"path"
	"time"
)

// staticFS holds the stylesheet and the scripts, served at /static/.
//
//go:embed static
var staticFS embed.FS

// handleStatic serves one asset by name; folders are not listed.
func handleStatic() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("file")
		b, err := fs.ReadFile(staticFS, path.Join("static", name))
		if err != nil || !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		// The assets are built into the binary: no modification time.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
	})
}
