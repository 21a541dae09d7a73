# Requests/s against the number of containers N: per container (top) and in aggregate
# (bottom). Variables: n, titles, lts, dts, est (1: density series, whose aggregate is the
# mean per loaded container times N, an estimate) as word lists;
# data datadir/rps-vs-n-<i>.dat: count rps_per_container aggregate_rps [folder].
height = 900
load scriptdir.'/common.gp'
f(i) = sprintf('%s/rps-vs-n-%d.dat', datadir, i)
lt(i) = int(word(lts, i))
dt(i) = int(word(dts, i))
est(i) = int(word(est, i))
set multiplot layout 2,1 title figtitle.' (HTTP load from crowd)' noenhanced
set lmargin at screen 0.09
set rmargin at screen 0.74
set tmargin 2
set bmargin 3
set xrange [0:*]
set yrange [0:*]
set offsets 0, graph 0.05, graph 0.08, 0
set grid xtics lc rgb '#eeeeee'
set key at screen 0.99, graph 1 right top noenhanced samplen 3 width -2
set ylabel 'requests/s per container'
anyest = 0
do for [i=1:n] { anyest = anyest || est(i) }
if (anyest) set label 1 "(density): the mean over the\ncontainers loaded at each step;\nits aggregate below is that\nmean × N, an estimate.\nOther series: measured totals\nof each folder's load." at screen 0.76, graph 0.45 left font ',10' noenhanced
plot for [i=1:n] f(i) using 1:2 with linespoints lt lt(i) dt dt(i) pt (5 + 2*dt(i)) lw 2 ps 1.2 \
	title word(titles, i)
unset label 1
set bmargin 6
set xlabel 'containers running (N)'
set ylabel 'aggregate requests/s'
plot for [i=1:n] f(i) using 1:3 with linespoints lt lt(i) dt dt(i) pt (5 + 2*dt(i)) lw 2 ps 1.2 \
	title word(titles, i)
unset multiplot
