package allinone

import (
	"strings"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/services/beneficiaries"
	"github.com/entraide/entraide/services/decisions"
	"github.com/entraide/entraide/services/identity"
	"github.com/entraide/entraide/services/payments"
	"github.com/entraide/entraide/services/web/web"
)

// ConfigurationTables renders, per process, the environment variables it reads with their defaults: the
// README's configuration section is this text (a test keeps them equal).
func ConfigurationTables() string {
	var b strings.Builder
	for _, section := range []struct {
		title   string
		declare func(*config.Reader)
	}{
		{"identity (`services/identity`, `cmd/identity`)", func(r *config.Reader) { identity.LoadConfig(r) }},
		{"beneficiaries (`services/beneficiaries`, `cmd/beneficiaries`)", func(r *config.Reader) { beneficiaries.LoadConfig(r) }},
		{"decisions (`services/decisions`, `cmd/decisions`)", func(r *config.Reader) { decisions.LoadConfig(r) }},
		{"payments (`services/payments`, `cmd/payments`)", func(r *config.Reader) { payments.LoadConfig(r) }},
		{"web front end (`services/web`, `cmd/web`)", func(r *config.Reader) { _, _ = web.LoadConfig(r) }},
		{"all-in-one only (`deploy/allinone`, `make run`; it also reads the variables above)", func(r *config.Reader) { Declare(r) }},
	} {
		r := config.FromMap(nil)
		section.declare(r)
		b.WriteString("#### " + section.title + "\n\n")
		b.WriteString(config.Markdown(r.Vars()))
		b.WriteString("\n")
	}
	return b.String()
}
