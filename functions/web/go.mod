module github.com/buytickets/buytickets/functions/web

go 1.26.0

require github.com/buytickets/buytickets/shared v0.0.0

require (
	github.com/lmittmann/tint v1.2.1 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/buytickets/buytickets/shared => ../../shared
