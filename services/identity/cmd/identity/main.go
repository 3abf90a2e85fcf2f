// Command identity runs the identity service (tenants, users, login, JWKS). Configuration comes from the
// environment (see `identity -env`); flags cover one-off tasks.
package main

import (
	"flag"

	"github.com/entraide/entraide/libs/config"
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/identity"
)

func main() {
	bootstrapUser := flag.String("bootstrap-admin", "", "platform admin username to create at start when missing (overrides IDENTITY_BOOTSTRAP_ADMIN_USERNAME; the password comes from IDENTITY_BOOTSTRAP_ADMIN_PASSWORD)")
	seed := flag.Bool("seed-demo", false, "create the demo tenant and one user per role (same as IDENTITY_SEED_DEMO=true)")
	servicekit.Main(servicekit.Command[identity.Config]{
		Name: "identity",
		LoadConfig: func(r *config.Reader) (identity.Config, error) {
			cfg := identity.LoadConfig(r)
			if *bootstrapUser != "" {
				cfg.BootstrapAdminUsername = *bootstrapUser
			}
			if *seed {
				cfg.SeedDemo = true
			}
			return cfg, r.Err()
		},
		HTTPAddr: func(c identity.Config) string { return c.HTTPAddr },
		Setup: servicekit.SetupByAssembly(identity.NewApp, func(c identity.Config) servicekit.Kafka {
			return servicekit.Kafka{Brokers: c.KafkaBrokers, ReplicationFactor: c.KafkaReplicationFactor}
		}),
		Run: identity.Run,
	})
}
