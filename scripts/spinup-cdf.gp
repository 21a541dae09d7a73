# Spin-up latency CDF per backend (and folder), log time axis.
# Variables: n (series), titles, lts (line type: backend), dts (dash type: folder) as word
# lists; data datadir/spinup-cdf-<i>.dat: ms fraction.
load scriptdir.'/common.gp'
set title figtitle.' (t_ready - t_request, ok samples)' noenhanced
set xlabel 'spin-up latency (ms, log scale)'
set ylabel 'fraction of containers ready (≤ x)'
set logscale x 10
set format x '%g'
set yrange [0:1.02]
set ytics 0,0.1,1
set grid xtics mxtics lc rgb '#eeeeee'
set mxtics 10
set key right bottom
if (n > 7) set key outside right top
lt(i) = int(word(lts, i))
dt(i) = int(word(dts, i))
plot for [i=1:n] sprintf('%s/spinup-cdf-%d.dat', datadir, i) using 1:2 with steps lt lt(i) dt dt(i) lw 2 title word(titles, i), \
     for [i=1:n] sprintf('%s/spinup-cdf-%d.dat', datadir, i) using 1:2 with points lt lt(i) pt (5 + 2*dt(i)) ps 0.8 notitle
