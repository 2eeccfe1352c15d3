# Summarises `go test -bench -count N` output: the median ns/op,
# cpu-ns/op, B/op, allocs/op and roundtrips/op of each benchmark.
/^Benchmark/ {
	name = $1; runs[name]++; n = runs[name]
	for (i = 3; i < NF; i += 2) { v[name, $(i + 1), n] = $i; units[$(i + 1)] = 1 }
	if (!(name in seen)) { seen[name] = 1; order[++count] = name }
}
function median(name, unit,    k, m, a, i, j, t) {
	m = 0
	for (k = 1; k <= runs[name]; k++) if ((name, unit, k) in v) a[++m] = v[name, unit, k] + 0
	if (m == 0) return "-"
	for (i = 2; i <= m; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
END {
	printf "%-56s %10s %11s %6s %9s %13s  (medians of %d runs)\n", "benchmark", "ns/op", "cpu-ns/op", "B/op", "allocs/op", "roundtrips/op", runs[order[1]]
	for (c = 1; c <= count; c++) {
		name = order[c]
		printf "%-56s %10s %11s %6s %9s %13s\n", name, median(name, "ns/op"), median(name, "cpu-ns/op"), median(name, "B/op"), median(name, "allocs/op"), median(name, "roundtrips/op")
	}
}
