package router

import (
	"context"
	"net/http"
	"strings"
)

type paramsKey struct{}

// ServeHTTP runs the handler of the matching route. It answers 405 with an Allow header when the path matches
// only routes of other methods, and 404 when it matches none (400 for a malformed percent-escape, which
// net/http itself does not let through).
//
// Matching uses the escaped path, so that an encoded "/" (%2F) stays inside its segment; parameters are
// decoded afterwards.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rt, params, allowed, err := r.find(req.Method, req.URL.EscapedPath())
	switch {
	case err != nil:
		http.Error(w, "bad request path", http.StatusBadRequest)
	case rt != nil:
		rt.handler(w, req.WithContext(context.WithValue(req.Context(), paramsKey{}, params)))
	case len(allowed) > 0:
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, req)
	}
}

// Param returns the value of the matched route's parameter name ("" if there is none).
func Param(req *http.Request, name string) string {
	params, _ := req.Context().Value(paramsKey{}).(Params)
	return params[name]
}
