# Median spin-up phases per backend, stacked; below, each phase's share of the stack.
# Variables: rows, first_response (0/1), note; data datadir/phases.dat:
# backend cgroup clone setup exec-to-ready first-response spinup_p50 (ms, 0 = phase not seen).
height = 900
load scriptdir.'/common.gp'
file = datadir.'/phases.dat'
last = first_response ? 6 : 5
total(c) = sum [k=2:c] column(k)
set datafile columnheaders
set style data histogram
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set key outside right top vertical noenhanced
set xtics noenhanced nomirror
if (rows > 6) set xtics rotate by -20 left font ',10'
set multiplot layout 2,1 title figtitle.' per backend (medians of each phase over ok samples)' noenhanced
set tmargin 2
set lmargin at screen 0.07
set rmargin at screen 0.80
set bmargin 2
set ylabel 'time (ms); number: sum of the stacked medians'
set yrange [0:*]
set xrange [-0.6:rows-0.4]
set offsets 0, 0, graph 0.12, 0
set label 1 note at graph 0.01, graph 0.95 left font ',10' noenhanced
plot for [c=2:last] file using c:xtic(1) title columnheader(c), \
     file using 0:(total(last)):(sprintf('%.2f', total(last))) with labels offset 0,0.8 font ',10' notitle, \
     file using 0:7 with points pt 7 ps 1.3 lc rgb '#000000' title 'spin-up p50'
unset label 1
set offsets 0, 0, 0, 0
unset key
set bmargin 6
set ylabel 'share of the stack (%)'
set yrange [0:100]
plot for [c=2:last] file using (total(last) > 0 ? 100.0*column(c)/total(last) : 0):xtic(1) notitle
unset multiplot
