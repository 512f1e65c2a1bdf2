module github.com/buytickets/buytickets/config/verify

go 1.26.0
