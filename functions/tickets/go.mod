module github.com/buytickets/buytickets/functions/tickets

go 1.26.0

require (
	github.com/buytickets/buytickets/eventing v0.0.0
	github.com/buytickets/buytickets/shared v0.0.0
	github.com/cloudevents/sdk-go/v2 v2.16.2
)

require (
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.0 // indirect
)

replace (
	github.com/buytickets/buytickets/eventing => ../../eventing
	github.com/buytickets/buytickets/shared => ../../shared
)
