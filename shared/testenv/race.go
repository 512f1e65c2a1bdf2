package testenv

import "sync"

// Race runs n racers on goroutines of their own and returns once all have
// finished. Racer i is made by prepare(i) on its goroutine, and runs only
// once every goroutine has been started, so that they contend as closely
// as the scheduler allows: buyers for one ticket, replicas for one row.
func Race(n int, prepare func(i int) func()) {
	var start, wg sync.WaitGroup
	start.Add(1)
	for i := range n {
		wg.Go(func() {
			race := prepare(i)
			start.Wait()
			race()
		})
	}
	start.Done()
	wg.Wait()
}
