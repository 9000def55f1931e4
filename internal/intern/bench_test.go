package intern

import "testing"

// BenchmarkObject is the cost of one cached object's strings: a RoleBinding
// as the informers decode them.
func BenchmarkObject(b *testing.B) {
	table := NewTable(1 << 16)
	obj := binding("owner", "1", "10")
	b.ReportAllocs()
	for b.Loop() {
		table.Object(obj)
	}
}
