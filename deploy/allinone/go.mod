module github.com/entraide/entraide/deploy/allinone

go 1.26.0
