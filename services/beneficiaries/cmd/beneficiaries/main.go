// Command beneficiaries runs the beneficiary registry service (persons, households, social files, documents).
// Configuration comes from the environment (see `beneficiaries -env`).
package main

import (
	"github.com/entraide/entraide/libs/servicekit"
	"github.com/entraide/entraide/services/beneficiaries"
)

func main() {
	servicekit.Main(servicekit.Command[beneficiaries.Config]{
		Name:       "beneficiaries",
		LoadConfig: servicekit.ReaderErr(beneficiaries.LoadConfig),
		HTTPAddr:   func(c beneficiaries.Config) string { return c.HTTPAddr },
		Setup: servicekit.SetupByAssembly(beneficiaries.NewApp, func(c beneficiaries.Config) servicekit.Kafka {
			return servicekit.Kafka{Brokers: c.KafkaBrokers, ReplicationFactor: c.KafkaReplicationFactor}
		}),
		Run: beneficiaries.Run,
	})
}
