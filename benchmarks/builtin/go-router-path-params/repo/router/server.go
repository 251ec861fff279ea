package router

import (
	"context"
	"net/http"
)

type paramsKey struct{}

// ServeHTTP runs the handler of the matching route, or answers 404.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	handler, params, ok := r.Match(req.Method, req.URL.Path)
	if !ok {
		http.NotFound(w, req)
		return
	}
	handler(w, req.WithContext(context.WithValue(req.Context(), paramsKey{}, params)))
}

// Param returns the value of the matched route's parameter name ("" if there is none).
func Param(req *http.Request, name string) string {
	params, _ := req.Context().Value(paramsKey{}).(Params)
	return params[name]
}
