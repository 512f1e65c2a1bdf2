module github.com/buytickets/buytickets/eventing

go 1.26

require github.com/buytickets/buytickets/shared v0.0.0

replace github.com/buytickets/buytickets/shared => ../shared
