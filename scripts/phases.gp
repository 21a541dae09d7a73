# Median spin-up phases per backend, stacked up to ready; below, each phase's share.
# The first response (ready -> first HTTP 200 seen by the load generator) is written above
# each bar, not stacked: it includes the wait for the load to start, which crowd bench
# starts once every instance is up, so on a shared scale it would hide the phases.
# Variables: rows, first_response (0/1), note; data datadir/phases.dat:
# backend cgroup clone setup exec-to-ready first-response spinup_p50 (ms, 0 = phase not seen).
height = 900
load scriptdir.'/common.gp'
file = datadir.'/phases.dat'
total(x) = $2 + $3 + $4 + $5
top(x) = total(0) > $7 ? total(0) : $7
lab(x) = first_response && $6 > 0 ? sprintf("%.3g\n(+%.3g)", total(0), $6) : sprintf('%.3g', total(0))
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
set ylabel 'time to ready (ms)'
set yrange [0:*]
set xrange [-0.6:rows-0.4]
set offsets 0, 0, graph 0.2, 0
set label 1 note at graph 0.01, graph 0.95 left font ',10' noenhanced
set label 2 "numbers above the bars:\nsum of the stacked\nmedians (ms)".(first_response ? "\n(+ median time from\nready to the first\nHTTP response, ms)" : '') \
	at screen 0.81, graph 0.55 left font ',10' noenhanced
plot for [c=2:5] file using c:xtic(1) title columnheader(c), \
     file using 0:(top(0)):(lab(0)) with labels offset 0,1.6 font ',10' notitle, \
     file using 0:7 with points pt 7 ps 1.3 lc rgb '#000000' title 'spin-up p50'
unset label 1
unset label 2
set offsets 0, 0, 0, 0
unset key
set bmargin 6
set ylabel 'share of time to ready (%)'
set yrange [0:100]
plot for [c=2:5] file using (total(0) > 0 ? 100.0*column(c)/total(0) : 0):xtic(1) notitle
unset multiplot
