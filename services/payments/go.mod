module github.com/entraide/entraide/services/payments

go 1.26.0

require github.com/entraide/entraide/libs v0.0.0-00010101000000-000000000000

require (
	go.mongodb.org/mongo-driver/v2 v2.10.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

replace (
	github.com/entraide/entraide/libs => ../../libs
	github.com/entraide/entraide/libs/embedded => ../../libs/embedded
)
