// Command payments runs the payments service (schedules, payment runs, SEPA files).
// Configuration comes from the environment (see `payments -env`).
package main

import (
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/payments"
)

func main() {
	servicekit.Main(servicekit.Command[payments.Config]{
		Name:       "payments",
		LoadConfig: servicekit.ReaderErr(payments.LoadConfig),
		HTTPAddr:   func(c payments.Config) string { return c.HTTPAddr },
		Setup: servicekit.SetupByAssembly(payments.NewApp, func(c payments.Config) servicekit.Kafka {
			return servicekit.Kafka{Brokers: c.KafkaBrokers, ReplicationFactor: c.KafkaReplicationFactor}
		}),
		Run: payments.Run,
	})
}
