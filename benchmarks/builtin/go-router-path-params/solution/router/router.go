// Package router matches request paths against patterns such as "/users/:id" and "/files/*path".
package router

import (
	"net/http"
	"net/url"
	"sort"
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
// segment "*name" matches the rest of the path (possibly empty).
func (r *Router) Handle(method, pattern string, handler http.HandlerFunc) {
	r.routes = append(r.routes, route{method: method, segments: split(pattern), handler: handler})
}

// split cuts a path into segments; leading and trailing slashes do not count ("/" has none).
func split(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// rank orders pattern segments: static before ":param" before "*wildcard".
func rank(segment string) int {
	switch {
	case strings.HasPrefix(segment, "*"):
		return 2
	case strings.HasPrefix(segment, ":"):
		return 1
	}
	return 0
}

// moreSpecific reports whether a beats b at the first segment where their kinds differ.
func moreSpecific(a, b route) bool {
	for i := 0; i < len(a.segments) && i < len(b.segments); i++ {
		if ra, rb := rank(a.segments[i]), rank(b.segments[i]); ra != rb {
			return ra < rb
		}
	}
	return false
}

// Match returns the handler and the (decoded) parameters of the most specific route for method and the
// escaped path (as in URL.EscapedPath).
func (r *Router) Match(method, path string) (http.HandlerFunc, Params, bool) {
	rt, params, _, err := r.find(method, path)
	if err != nil || rt == nil {
		return nil, nil, false
	}
	return rt.handler, params, true
}

// find returns the best route for method and path with its parameters; when no route of that method matches,
// the methods of the routes that do (sorted).
func (r *Router) find(method, path string) (*route, Params, []string, error) {
	segments := split(path)
	var best *route
	var bestParams Params
	methods := map[string]bool{}
	for i := range r.routes {
		rt := &r.routes[i]
		params, ok := rt.match(segments)
		if !ok {
			continue
		}
		methods[rt.method] = true
		if rt.method == method && (best == nil || moreSpecific(*rt, *best)) {
			best, bestParams = rt, params
		}
	}
	if best == nil {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		sort.Strings(allowed)
		return nil, nil, allowed, nil
	}
	decoded := Params{}
	for name, value := range bestParams {
		v, err := url.PathUnescape(value)
		if err != nil {
			return nil, nil, nil, err
		}
		decoded[name] = v
	}
	return best, decoded, nil, nil
}

// match returns the still-escaped parameters when the route matches the path's segments.
func (rt route) match(segments []string) (Params, bool) {
	params := Params{}
	for i, s := range rt.segments {
		if strings.HasPrefix(s, "*") && i == len(rt.segments)-1 {
			params[s[1:]] = strings.Join(segments[min(i, len(segments)):], "/")
			return params, true
		}
		if i >= len(segments) {
			return nil, false
		}
		switch {
		case strings.HasPrefix(s, ":"):
			params[s[1:]] = segments[i]
		case s != segments[i]:
			return nil, false
		}
	}
	return params, len(segments) == len(rt.segments)
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
