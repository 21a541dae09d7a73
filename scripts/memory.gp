# Memory per container per backend: bars at the median, error bars p10..p90.
# Variables: rows, note, kinds (which of 1 cgroup, 2 PSS, 3 host view have data); data datadir/memory.dat (MiB, NaN = not measured):
# backend cgroup_p50 cgroup_p10 cgroup_p90 pss_p50 pss_p10 pss_p90 host host host
load scriptdir.'/common.gp'
file = datadir.'/memory.dat'
set datafile columnheaders
set title figtitle.' per backend (bars: median; error bars: p10..p90 over ok samples)' noenhanced
set ylabel 'memory per container (MiB)'
set style data histogram
set style histogram errorbars gap 1.5 lw 1.5
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.9
set yrange [*<0:*]
set offsets 0, 0, graph 0.25, 0
set xrange [-0.6:rows-0.4]
set xtics noenhanced nomirror
if (rows > 6) set xtics rotate by -20 left font ',10'
set key left top
set label 1 note at graph 0.99, graph 0.95 right font ',10' noenhanced
kt(k) = k == 1 ? 'cgroup: memory.current / usage_in_bytes' : \
        k == 2 ? 'PSS: summed smaps_rollup of its processes' : \
                 'host view: MemAvailable drop / N (one value per run)'
plot for [w in kinds] file using (column(3*int(w) - 1)):(column(3*int(w))):(column(3*int(w) + 1)):xtic(1) \
     title kt(int(w)) lt int(w)
