package testenv

import (
	"sync"
	"testing"
)

func TestRaceRunsEveryRacerOnceAndWaitsForAll(t *testing.T) {
	t.Parallel()
	const n = 8
	var mu sync.Mutex
	prepared, ran := map[int]int{}, map[int]int{}
	Race(n, func(i int) func() {
		mu.Lock()
		prepared[i]++
		mu.Unlock()
		return func() {
			mu.Lock()
			ran[i]++
			mu.Unlock()
		}
	})
	for i := range n {
		if prepared[i] != 1 || ran[i] != 1 {
			t.Errorf("racer %d prepared %d and ran %d times, want once each before Race returns", i, prepared[i], ran[i])
		}
	}
}
