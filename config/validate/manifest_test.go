package validate_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name        string
		yaml        string
		wantIndexes []int
		wantKinds   []string
		wantObjects []bool
		wantKo      []string
		wantJSON    string // a substring of the last document's JSON
		wantErr     string
	}{
		{
			name:        "splits documents and leaves out empty ones",
			yaml:        "apiVersion: v1\nkind: Namespace\n---\n# only a comment\n---\n\n---\nkind: ConfigMap\n",
			wantIndexes: []int{0, 3},
			wantKinds:   []string{"Namespace", "ConfigMap"},
			wantObjects: []bool{true, true},
		},
		{
			name:        "a document without apiVersion, kind or metadata is not an object",
			yaml:        "steps:\n  - name: golang\n",
			wantIndexes: []int{0},
			wantKinds:   []string{""},
			wantObjects: []bool{false},
		},
		{
			name:        "a list document is not an object",
			yaml:        "- a\n- b\n",
			wantIndexes: []int{0},
			wantKinds:   []string{""},
			wantObjects: []bool{false},
		},
		{
			name: "replaces ko images with a placeholder registry",
			yaml: `kind: Service
spec:
  template:
    spec:
      initContainers:
        - image: ko://example.com/m/cmd/init
      containers:
        - image: ko://example.com/m/cmd/app
        - image: busybox
          args: ["ko://not-an-image-field"]
`,
			wantIndexes: []int{0},
			wantKinds:   []string{"Service"},
			wantObjects: []bool{true},
			wantKo:      []string{"ko://example.com/m/cmd/app", "ko://example.com/m/cmd/init"},
			wantJSON:    `"image":"ko.local/example.com/m/cmd/app"`,
		},
		{
			name:        "keeps large integers exact",
			yaml:        "kind: ConfigMap\nspec:\n  count: 9007199254740993\n",
			wantIndexes: []int{0},
			wantKinds:   []string{"ConfigMap"},
			wantObjects: []bool{true},
			wantJSON:    `"count":9007199254740993`,
		},
		{
			name:    "refuses a duplicate key",
			yaml:    "kind: ConfigMap\nkind: Secret\n",
			wantErr: `m.yaml[0]: parse YAML: `,
		},
		{
			name:    "refuses malformed YAML",
			yaml:    "kind: [\n",
			wantErr: `m.yaml[0]: parse YAML: `,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			docs, err := validate.Parse("m.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() error = %v", err)
			}
			var indexes []int
			var kinds, ko []string
			var objects []bool
			for _, doc := range docs {
				indexes = append(indexes, doc.Index)
				kinds = append(kinds, doc.Kind)
				objects = append(objects, doc.IsObject())
				ko = append(ko, doc.KoImages...)
			}
			if !slices.Equal(indexes, tt.wantIndexes) {
				t.Errorf("indexes = %v, want %v", indexes, tt.wantIndexes)
			}
			if !slices.Equal(kinds, tt.wantKinds) {
				t.Errorf("kinds = %q, want %q", kinds, tt.wantKinds)
			}
			if !slices.Equal(objects, tt.wantObjects) {
				t.Errorf("objects = %v, want %v", objects, tt.wantObjects)
			}
			if !slices.Equal(ko, tt.wantKo) {
				t.Errorf("ko images = %q, want %q", ko, tt.wantKo)
			}
			if last := docs[len(docs)-1]; !strings.Contains(string(last.JSON), tt.wantJSON) {
				t.Errorf("JSON = %s, want it to contain %s", last.JSON, tt.wantJSON)
			}
		})
	}
}

func TestFilesSkipsTestdataHiddenAndNonYAML(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{
		"a.yaml", "b.yml", "sub/c.yaml",
		"readme.md", "d.json",
		"testdata/e.yaml", "sub/testdata/f.yaml", ".hidden/g.yaml", "_scratch/h.yaml",
	} {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := validate.Files(root)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i], _ = filepath.Rel(root, got[i])
		got[i] = filepath.ToSlash(got[i])
	}
	want := []string{"a.yaml", "b.yml", "sub/c.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("Files() = %q, want %q", got, want)
	}
}

func TestFilesFailsOnAMissingDirectory(t *testing.T) {
	if _, err := validate.Files(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("Files() error = nil, want an error for a missing directory")
	}
}
