module github.com/buytickets/buytickets/cmd/buytickets

go 1.26.0

require (
	github.com/buytickets/buytickets/functions/auth v0.0.0
	github.com/buytickets/buytickets/shared v0.0.0
	github.com/cloudevents/sdk-go/v2 v2.16.2
)

require (
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/rickb777/date v1.13.0 // indirect
	github.com/rickb777/plural v1.2.1 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.27.0 // indirect
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	sigs.k8s.io/yaml v1.6.0 // indirect
)

require (
	github.com/buytickets/buytickets/eventing v0.0.0
	github.com/buytickets/buytickets/functions/orders v0.0.0
	github.com/buytickets/buytickets/functions/tickets v0.0.0
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
	modernc.org/sqlite v1.62.0 // indirect
)

replace (
	github.com/buytickets/buytickets/functions/auth => ../../functions/auth
	github.com/buytickets/buytickets/shared => ../../shared
)

replace github.com/buytickets/buytickets/eventing => ../../eventing

replace github.com/buytickets/buytickets/functions/tickets => ../../functions/tickets

replace github.com/buytickets/buytickets/functions/orders => ../../functions/orders
