module github.com/entraide/entraide/services/beneficiaries

go 1.26.0

require (
	github.com/entraide/entraide/api v0.0.0-00010101000000-000000000000
	github.com/entraide/entraide/libs v0.0.0-00010101000000-000000000000
	github.com/entraide/entraide/libs/embedded v0.0.0-00010101000000-000000000000
)

replace (
	github.com/entraide/entraide/api => ../../api
	github.com/entraide/entraide/libs => ../../libs
	github.com/entraide/entraide/libs/embedded => ../../libs/embedded
)
