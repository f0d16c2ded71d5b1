package braid_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The documents users read name identifiers of the API. Every one of them
// must exist, so that a rename cannot leave the README or the porting guide
// pointing at a name that is gone. Names written struck through
// (~~`reactor.ErrCancelledError`~~) are old names a rename table lists.
func TestDocs_NamedIdentifiersExist(t *testing.T) {
	api := loadAPI(t, map[string]string{
		"braid": ".", "reactor": "reactor", "protocol": "protocol", "conchtest": "conchtest", "trial": "trial",
		"braidtest": "braidtest", "iosim": "braidtest/iosim", "procmon": "procmon", "processutil": "processutil",
		"endpoints": "endpoints",
	})
	ident := regexp.MustCompile(`\b(braid|reactor|protocol|conchtest|trial|braidtest|iosim|procmon|processutil|endpoints)\.([A-Z]\w*)(?:\.([A-Z]\w*))?`)
	for _, doc := range []string{"README.md", "PORTING.md", "docs/DESIGN.md"} {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, span := range inlineCode(string(text)) {
			for _, m := range ident.FindAllStringSubmatch(span, -1) {
				checked++
				if !api.has(m[1], m[2], m[3]) {
					t.Errorf("%s names %s, which does not exist (in `%s`)", doc, m[0], span)
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no identifiers found to check", doc)
		}
	}
}

// inlineCode returns the `code` spans of a Markdown text that are outside
// fenced blocks and not struck through.
func inlineCode(text string) []string {
	var out []string
	fenced := false
	span := regexp.MustCompile("(~~)?`([^`\n]+)`")
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range span.FindAllStringSubmatch(line, -1) {
			if m[1] == "" {
				out = append(out, m[2])
			}
		}
	}
	return out
}

// api is the exported surface of braid's packages, read from their source.
type api struct {
	names   map[string]bool            // "pkg.Name"
	members map[string]map[string]bool // "pkg.Type" -> methods and fields
	embeds  map[string][]string        // "pkg.Type" -> embedded "pkg.Type"s
}

func loadAPI(t *testing.T, dirs map[string]string) *api {
	t.Helper()
	a := &api{names: map[string]bool{}, members: map[string]map[string]bool{}, embeds: map[string][]string{}}
	for pkg, dir := range dirs {
		fset := token.NewFileSet()
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			if strings.HasSuffix(path, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			a.addFile(pkg, f)
		}
	}
	return a
}

func (a *api) member(typ string) map[string]bool {
	if a.members[typ] == nil {
		a.members[typ] = map[string]bool{}
	}
	return a.members[typ]
}

func (a *api) addFile(pkg string, f *ast.File) {
	imports := map[string]string{}
	for _, im := range f.Imports {
		p := strings.Trim(im.Path.Value, `"`)
		imports[p[strings.LastIndex(p, "/")+1:]] = p
	}
	qualify := func(e ast.Expr) string {
		if s, ok := e.(*ast.StarExpr); ok {
			e = s.X
		}
		switch e := e.(type) {
		case *ast.Ident:
			return pkg + "." + e.Name
		case *ast.SelectorExpr:
			if x, ok := e.X.(*ast.Ident); ok {
				return x.Name + "." + e.Sel.Name
			}
		}
		return ""
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				a.names[pkg+"."+d.Name.Name] = true
				continue
			}
			if recv := qualify(d.Recv.List[0].Type); recv != "" {
				a.member(recv)[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.ValueSpec:
					for _, n := range s.Names {
						a.names[pkg+"."+n.Name] = true
					}
				case *ast.TypeSpec:
					name := pkg + "." + s.Name.Name
					a.names[name] = true
					var fields []*ast.Field
					switch tt := s.Type.(type) {
					case *ast.StructType:
						fields = tt.Fields.List
					case *ast.InterfaceType:
						fields = tt.Methods.List
					}
					for _, fl := range fields {
						for _, n := range fl.Names {
							a.member(name)[n.Name] = true
						}
						if len(fl.Names) == 0 {
							if e := qualify(fl.Type); e != "" {
								a.embeds[name] = append(a.embeds[name], e)
							}
						}
					}
				}
			}
		}
	}
}

// has reports whether pkg.name exists and, when member is set, whether the
// type has that method or field, promoted ones included.
func (a *api) has(pkg, name, member string) bool {
	if !a.names[pkg+"."+name] {
		return false
	}
	if member == "" {
		return true
	}
	seen := map[string]bool{}
	var find func(typ string) bool
	find = func(typ string) bool {
		if seen[typ] {
			return false
		}
		seen[typ] = true
		if a.members[typ][member] {
			return true
		}
		for _, e := range a.embeds[typ] {
			if find(e) {
				return true
			}
		}
		return false
	}
	return find(pkg + "." + name)
}
