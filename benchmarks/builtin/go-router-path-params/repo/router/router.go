// Package router matches request paths against patterns such as "/users/:id" and "/files/*path".
package router

import (
	"net/http"
	"strings"
)

// Params holds the values of a matched route's ":name" and "*name" segments.
type Params map[string]string

type route struct {
	method   string
	segments []string
	handler  http.HandlerFunc
}

// Router dispatches requests to the handler of the route their method and path match.
type Router struct {
	routes []route
}

// New returns a router without routes.
func New() *Router { return &Router{} }

// Handle registers handler for method and pattern. A pattern segment ":name" matches any one segment; a last
// segment "*name" matches the rest of the path.
func (r *Router) Handle(method, pattern string, handler http.HandlerFunc) {
	r.routes = append(r.routes, route{method: method, segments: split(pattern), handler: handler})
}

func split(path string) []string {
	return strings.Split(strings.TrimPrefix(path, "/"), "/")
}

// Match returns the handler and parameters of the route for method and path.
func (r *Router) Match(method, path string) (http.HandlerFunc, Params, bool) {
	segments := split(path)
	for _, rt := range r.routes {
		if rt.method != method {
			continue
		}
		if params, ok := rt.match(segments); ok {
			return rt.handler, params, true
		}
	}
	return nil, nil, false
}

func (rt route) match(segments []string) (Params, bool) {
	if len(segments) != len(rt.segments) {
		return nil, false
	}
	params := Params{}
	for i, s := range rt.segments {
		switch {
		case strings.HasPrefix(s, ":"), strings.HasPrefix(s, "*"):
			params[s[1:]] = segments[i]
		case s != segments[i]:
			return nil, false
		}
	}
	return params, true
}
