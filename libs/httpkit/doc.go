// Package httpkit is the HTTP plumbing every Entraide service shares: a router that knows each request's route
// template, go-kit server options that speak problem+json in the user's language, strict JSON decoding with body
// limits, request ids, panic recovery, access logs without personal data, Prometheus metrics, /healthz, /readyz
// and /metrics, and a server that shuts down gracefully.
package httpkit
