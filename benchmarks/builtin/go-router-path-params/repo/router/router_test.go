package router

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func echo(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, name+":"+Param(req, "id"))
	}
}

func TestStaticAndParam(t *testing.T) {
	r := New()
	r.Handle("GET", "/health", echo("health"))
	r.Handle("GET", "/users/:id", echo("user"))
	for path, want := range map[string]string{"/health": "health:", "/users/42": "user:42"} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || rec.Body.String() != want {
			t.Errorf("GET %s = %d %q, want 200 %q", path, rec.Code, rec.Body.String(), want)
		}
	}
}
