# Reads benchstat's CSV (-format csv) of a two-column comparison and prints,
# for every benchmark row, the ratio of the second column's median to the
# first's in each unit: authkit/peer when the columns are /mw@(peer authkit).
# With -v mode=diff it prints the difference instead (second − first; times
# in ns): what the middleware adds over bare.
BEGIN { FS = ","; nu = 0; nr = 0 }
/^,/ && NR > 0 {
	if ($2 ~ /\//) { unit = $2; if (!(unit in useen)) { useen[unit] = 1; units[++nu] = unit } }
	next
}
NF >= 4 && $1 != "geomean" && $1 !~ /^(goos|goarch|pkg|cpu):/ && $2 != "" && $4 != "" {
	name = $1; sub(/-[0-9]+$/, "", name)
	if (!(name in rseen)) { rseen[name] = 1; rows[++nr] = name }
	if (mode == "diff") ratio[name, unit] = sprintf("%.0f", ($4 - $2) * (unit ~ /sec\/op/ ? 1e9 : 1))
	else if ($2 + 0 != 0) ratio[name, unit] = sprintf("%.2f", $4 / $2)
	else if ($4 + 0 == 0) ratio[name, unit] = "1.00"
	else ratio[name, unit] = "inf"
}
END {
	if (nr == 0) exit
	w = 10
	for (r = 1; r <= nr; r++) if (length(rows[r]) > w) w = length(rows[r])
	printf "%-" w "s", title
	for (u = 1; u <= nu; u++) { n = units[u]; if (mode == "diff") sub(/sec\/op/, "ns/op", n); printf " %12s", n }
	printf "\n"
	for (r = 1; r <= nr; r++) {
		printf "%-" w "s", rows[r]
		for (u = 1; u <= nu; u++) { v = ratio[rows[r], units[u]]; printf " %12s", (v == "" ? "-" : v) }
		printf "\n"
	}
}
