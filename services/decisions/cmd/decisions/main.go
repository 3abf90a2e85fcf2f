// Command decisions runs the aid decisions service (request register, acknowledgments, deadline board, settings).
// Configuration comes from the environment (see `decisions -env`).
package main

import (
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/decisions"
)

func main() {
	servicekit.Main(servicekit.Command[decisions.Config]{
		Name:       "decisions",
		LoadConfig: servicekit.ReaderErr(decisions.LoadConfig),
		HTTPAddr:   func(c decisions.Config) string { return c.HTTPAddr },
		Setup: servicekit.SetupByAssembly(decisions.NewApp, func(c decisions.Config) servicekit.Kafka {
			return servicekit.Kafka{Brokers: c.KafkaBrokers, ReplicationFactor: c.KafkaReplicationFactor}
		}),
		Run: decisions.Run,
	})
}
