package logctx

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayersLogWithContext: the packages that serve requests log only
// through the Context variants of slog (InfoContext, WarnContext, ...,
// LogAttrs with a context). A plain Warn drops the request ID, and the line
// can no longer be tied to the request it belongs to. Background work
// (janitor, lifecycle) uses the Context variants too: it has a context,
// and the rule stays one simple thing to check.
func TestLayersLogWithContext(t *testing.T) {
	plain := map[string]bool{"Debug": true, "Info": true, "Warn": true, "Error": true}
	fset := token.NewFileSet()
	files := 0
	for _, dir := range []string{"../s3api", "../gateway", "../backend", "../metrics", "../envelope"} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			files++
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if ok && plain[sel.Sel.Name] && isLogger(sel.X) {
					t.Errorf("%s: %s without a context: use %sContext so the line carries its request ID", fset.Position(call.Pos()), sel.Sel.Name, sel.Sel.Name)
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 50 {
		t.Fatalf("checked only %d files: wrong directories?", files)
	}
}

// isLogger reports an expression that names a logger by this project's
// conventions: log, logger, Logger (a variable or field) or log() (a
// method returning one), and slog's package-level functions.
func isLogger(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.Ident:
		return x.Name == "log" || x.Name == "logger" || x.Name == "slog"
	case *ast.SelectorExpr:
		return x.Sel.Name == "log" || x.Sel.Name == "logger" || x.Sel.Name == "Logger"
	case *ast.CallExpr:
		return isLogger(x.Fun)
	}
	return false
}
