# Aggregate requests/s (sum over containers) against the number of containers N.
# Variables: n, titles, lts, dts (word lists); data datadir/rps-vs-n-<i>.dat: count total_rps [folder].
load scriptdir.'/common.gp'
set title figtitle.' (sum over all containers)' noenhanced
set xlabel 'containers running (N)'
set ylabel 'aggregate requests/s'
set yrange [0:*]
set xrange [0:*]
set offsets 0, graph 0.05, graph 0.08, 0
set key right bottom
set grid xtics lc rgb '#eeeeee'
lt(i) = int(word(lts, i))
dt(i) = int(word(dts, i))
plot for [i=1:n] sprintf('%s/rps-vs-n-%d.dat', datadir, i) using 1:2 with linespoints lt lt(i) dt dt(i) pt (5 + 2*dt(i)) lw 2 ps 1.2 title word(titles, i)
