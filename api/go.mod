module github.com/entraide/entraide/api

go 1.26.0
