// Command web serves Entraide's web front end. Its configuration comes from environment variables; `web -env`
// prints them as a Markdown table.
package main

import (
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/web/web"
)

func main() {
	servicekit.Main(servicekit.Command[web.Config]{
		Name:       "web",
		LoadConfig: web.LoadConfig,
		HTTPAddr:   func(c web.Config) string { return c.HTTPAddr },
		Setup:      web.Setup,
		SetupUsage: "create the front end's MongoDB indexes (web_sessions) and its shared login CSRF key, then exit (the init job)",
		Run:        web.Run,
		LogAttrs:   []any{"service", "web"},
	})
}
