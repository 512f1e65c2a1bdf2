// Package validate checks the repository's Kubernetes and Knative manifests the
// way the cluster would at admission: each document is decoded strictly into
// the Go type of its apiVersion and kind, defaulted, and validated with the
// type's own rules. CheckIngress checks what the Gateway API manifests must
// agree on with each other and with the rest.
package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// KoScheme prefixes an image that skaffold's ko builder builds from a Go
// import path and substitutes at deploy time.
const KoScheme = "ko://"

// koPlaceholderRegistry stands in for the registry skaffold pushes to, so a
// ko:// reference becomes an image name that Knative's validation accepts.
const koPlaceholderRegistry = "ko.local/"

// Document is one YAML document of a manifest file, converted to JSON.
type Document struct {
	// Path is the file the document was read from.
	Path string
	// Index is the document's 0-based position in the file.
	Index int
	// APIVersion, Kind, Name and Namespace are read from the document as
	// written; they are empty when the document does not set them.
	APIVersion, Kind, Name, Namespace string
	// KoImages lists the ko:// image references of the document, in order.
	KoImages []string
	// JSON is the document with every ko:// image replaced by a placeholder
	// registry reference, as skaffold would replace it with the pushed image.
	JSON []byte

	object bool
}

// IsObject reports whether the document looks like a Kubernetes object: it
// sets apiVersion, kind or metadata. Other YAML is not a manifest.
func (d Document) IsObject() bool { return d.object }

// String names the document for messages: path, index, kind and name.
func (d Document) String() string {
	name := d.Name
	if d.Namespace != "" {
		name = d.Namespace + "/" + d.Name
	}
	parts := []string{fmt.Sprintf("%s[%d]", d.Path, d.Index)}
	for _, part := range []string{d.Kind, name} {
		if part != "" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, " ")
}

// Files returns the *.yaml and *.yml files under each directory, sorted. It
// skips testdata directories and directories whose names start with "." or
// "_", as the go tool does.
func Files(dirs ...string) ([]string, error) {
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				name := d.Name()
				if path != dir && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					return filepath.SkipDir
				}
				return nil
			}
			if ext := filepath.Ext(path); ext == ".yaml" || ext == ".yml" {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", dir, err)
		}
	}
	slices.Sort(files)
	return files, nil
}

// Parse splits data into its YAML documents and converts each to JSON,
// refusing duplicate keys. Documents that hold only comments or whitespace
// are left out; Index still counts them, so it matches the file's layout.
func Parse(path string, data []byte) ([]Document, error) {
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs []Document
	for index := 0; ; index++ {
		raw, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: split documents: %w", path, index, err)
		}
		doc, ok, err := parseDocument(raw)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", path, index, err)
		}
		if !ok {
			continue
		}
		doc.Path, doc.Index = path, index
		docs = append(docs, doc)
	}
}

// parseDocument converts one YAML document; ok is false for an empty one.
func parseDocument(raw []byte) (doc Document, ok bool, err error) {
	js, err := yaml.YAMLToJSONStrict(raw)
	if err != nil {
		return Document{}, false, fmt.Errorf("parse YAML: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber() // keep integers exact when the document is re-encoded
	var value any
	if err := dec.Decode(&value); err != nil {
		return Document{}, false, fmt.Errorf("decode JSON: %w", err)
	}
	if value == nil {
		return Document{}, false, nil
	}
	object, isMap := value.(map[string]any)
	if !isMap {
		return Document{JSON: js}, true, nil
	}

	_, hasAPIVersion := object["apiVersion"]
	_, hasKind := object["kind"]
	_, hasMeta := object["metadata"]
	doc.object = hasAPIVersion || hasKind || hasMeta
	doc.APIVersion, _ = object["apiVersion"].(string)
	doc.Kind, _ = object["kind"].(string)
	meta, _ := object["metadata"].(map[string]any)
	doc.Name, _ = meta["name"].(string)
	doc.Namespace, _ = meta["namespace"].(string)

	doc.KoImages = replaceKoImages(object)
	if doc.JSON, err = json.Marshal(object); err != nil {
		return Document{}, false, fmt.Errorf("re-encode JSON: %w", err)
	}
	return doc, true, nil
}

// replaceKoImages replaces, in place, the value of every "image" field that
// starts with KoScheme by a placeholder reference, as skaffold replaces only
// fields named image, and returns the replaced references.
func replaceKoImages(value any) []string {
	var found []string
	switch v := value.(type) {
	case map[string]any:
		for _, key := range slices.Sorted(maps.Keys(v)) {
			if s, ok := v[key].(string); ok && key == "image" && strings.HasPrefix(s, KoScheme) {
				found = append(found, s)
				v[key] = koPlaceholderRegistry + strings.TrimPrefix(s, KoScheme)
				continue
			}
			found = append(found, replaceKoImages(v[key])...)
		}
	case []any:
		for _, item := range v {
			found = append(found, replaceKoImages(item)...)
		}
	}
	return found
}
