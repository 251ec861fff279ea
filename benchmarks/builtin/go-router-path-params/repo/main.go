// Command notes serves the notes API.
package main

import (
	"fmt"
	"log"
	"net/http"

	"example.com/notes/router"
)

func main() {
	r := router.New()
	r.Handle("GET", "/users/:id", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "user %s\n", router.Param(req, "id"))
	})
	r.Handle("GET", "/users/me", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintln(w, "the signed-in user")
	})
	r.Handle("GET", "/users/:id/notes/:note", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "note %s of %s\n", router.Param(req, "note"), router.Param(req, "id"))
	})
	r.Handle("DELETE", "/users/:id/notes/:note", func(w http.ResponseWriter, req *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	r.Handle("GET", "/files/*path", func(w http.ResponseWriter, req *http.Request) {
		fmt.Fprintf(w, "file %s\n", router.Param(req, "path"))
	})
	log.Fatal(http.ListenAndServe("127.0.0.1:8080", r))
}
