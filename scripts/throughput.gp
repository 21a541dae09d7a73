# Requests/s per container as box plots (box p25..p75, whiskers 1.5 IQR), samples on top.
# Variables: n, titles, lts, dts (word lists); data datadir/throughput.dat: one block per series (index i-1).
load scriptdir.'/common.gp'
file = datadir.'/throughput.dat'
set title figtitle.' (ok samples; box p25..p75, line median, whiskers 1.5 IQR, dots: each container)' noenhanced
set ylabel 'requests/s per container'
set xlabel 'backend'
set style fill solid 0.35 border
set style boxplot outliers pointtype 6
set boxwidth 0.5
set yrange [0:*]
set offsets 0, 0, graph 0.05, 0
set xrange [0.4:n+0.6]
set xtics () noenhanced nomirror
set for [i=1:n] xtics add (word(titles, i) i)
set key outside right top
if (n > 6) { set xtics rotate by -20 left font ',10'; set bmargin 10; unset xlabel }
lt(i) = int(word(lts, i))
dt(i) = int(word(dts, i))
plot for [i=1:n] file index (i-1) using (i):1 with boxplot lt lt(i) dt dt(i) title word(titles, i), \
     for [i=1:n] file index (i-1) using (i + 0.28):1 with points lt lt(i) pt (5 + 2*dt(i)) ps 0.6 notitle
