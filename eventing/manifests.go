package eventing

import "embed"

// Manifests holds the eventing manifests of this folder (Broker, Triggers,
// sources). The embedded broker reads its Triggers from here, so it runs
// the very files that config/validate checks and the cluster applies.
//
//go:embed *.yaml
var Manifests embed.FS
