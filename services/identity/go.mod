module github.com/entraide/entraide/services/identity

go 1.26.0
