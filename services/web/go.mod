module github.com/entraide/entraide/services/web

go 1.26.0
