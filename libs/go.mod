module github.com/entraide/entraide/libs

go 1.26.0

require github.com/entraide/entraide/libs/embedded v0.0.0-00010101000000-000000000000

replace github.com/entraide/entraide/libs/embedded => ./embedded
