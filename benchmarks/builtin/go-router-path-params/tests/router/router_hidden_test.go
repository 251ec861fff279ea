package router

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func named(name string, params ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		out := name
		for _, p := range params {
			out += " " + p + "=" + Param(req, p)
		}
		io.WriteString(w, out)
	}
}

func serve(r *Router, method, target string) (int, string, http.Header) {
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec.Code, rec.Body.String(), rec.Header()
}

func expect(t *testing.T, r *Router, method, target string, code int, body string) {
	t.Helper()
	gotCode, gotBody, _ := serve(r, method, target)
	if gotCode != code || (code == 200 && gotBody != body) {
		t.Errorf("%s %s = %d %q, want %d %q", method, target, gotCode, gotBody, code, body)
	}
}

func api() *Router {
	r := New()
	r.Handle("GET", "/users/:id", named("user", "id"))
	r.Handle("GET", "/users/me", named("me"))
	r.Handle("GET", "/users/:id/notes/:note", named("note", "id", "note"))
	r.Handle("DELETE", "/users/:id/notes/:note", named("delete", "id", "note"))
	r.Handle("GET", "/files/*path", named("file", "path"))
	r.Handle("GET", "/files/readme", named("readme"))
	r.Handle("GET", "/", named("root"))
	return r
}

func TestStaticBeatsParamWhateverTheOrder(t *testing.T) {
	r := api()
	expect(t, r, "GET", "/users/me", 200, "me")
	expect(t, r, "GET", "/users/42", 200, "user id=42")
	expect(t, r, "GET", "/files/readme", 200, "readme")

	r2 := New()
	r2.Handle("GET", "/a/:x/c", named("param-first", "x"))
	r2.Handle("GET", "/a/b/:y", named("static-first", "y"))
	r2.Handle("GET", "/:p/b/c", named("all-param", "p"))
	expect(t, r2, "GET", "/a/b/c", 200, "static-first y=c")
	expect(t, r2, "GET", "/a/z/c", 200, "param-first x=z")
	expect(t, r2, "GET", "/q/b/c", 200, "all-param p=q")
}

func TestParamBeatsWildcard(t *testing.T) {
	r := New()
	r.Handle("GET", "/docs/*rest", named("wild", "rest"))
	r.Handle("GET", "/docs/:page", named("page", "page"))
	expect(t, r, "GET", "/docs/intro", 200, "page page=intro")
	expect(t, r, "GET", "/docs/a/b", 200, "wild rest=a/b")
	expect(t, r, "GET", "/docs", 200, "wild rest=")
}

func TestTrailingSlashAndRoot(t *testing.T) {
	r := api()
	expect(t, r, "GET", "/users/42/", 200, "user id=42")
	expect(t, r, "GET", "/users/me/", 200, "me")
	expect(t, r, "GET", "/", 200, "root")
	expect(t, r, "GET", "/users", 404, "")
	expect(t, r, "GET", "/users/42/notes", 404, "")
	expect(t, r, "GET", "/nowhere", 404, "")
}

func TestWildcardTakesTheRest(t *testing.T) {
	r := api()
	expect(t, r, "GET", "/files/docs/2024/report.pdf", 200, "file path=docs/2024/report.pdf")
	expect(t, r, "GET", "/files/a", 200, "file path=a")
	expect(t, r, "GET", "/files/", 200, "file path=")
}

func TestEscapes(t *testing.T) {
	r := api()
	expect(t, r, "GET", "/users/j%C3%B6rg", 200, "user id=jörg")
	expect(t, r, "GET", "/users/a%2Fb", 200, "user id=a/b")
	expect(t, r, "GET", "/users/a%2Fb/notes/x%20y", 200, "note id=a/b note=x y")
	expect(t, r, "GET", "/users/%6De", 200, "user id=me")
	expect(t, r, "GET", "/files/a%2Fb/c", 200, "file path=a/b/c")
}

func TestMethodNotAllowed(t *testing.T) {
	r := api()
	code, _, header := serve(r, "DELETE", "/users/42")
	if code != http.StatusMethodNotAllowed || header.Get("Allow") != "GET" {
		t.Errorf("DELETE /users/42 = %d Allow=%q, want 405 Allow=GET", code, header.Get("Allow"))
	}
	code, _, header = serve(r, "PUT", "/users/42/notes/7/")
	if code != http.StatusMethodNotAllowed || header.Get("Allow") != "DELETE, GET" {
		t.Errorf("PUT /users/42/notes/7 = %d Allow=%q, want 405 Allow=\"DELETE, GET\"", code, header.Get("Allow"))
	}
	expect(t, r, "DELETE", "/users/42/notes/7", 200, "delete id=42 note=7")
	expect(t, r, "POST", "/nowhere", 404, "")
}
