package conchtest

import (
	"fmt"
	"testing"
)

func TestZZRepro(t *testing.T) {
	counts := map[string]int{}
	for range 40 {
		out := runForwardScenarios(t)
		for k, v := range out {
			counts[fmt.Sprintf("%s: %v", k, v)]++
		}
	}
	for k, v := range counts {
		t.Log(v, k)
	}
}
