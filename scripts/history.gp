# Trend of one metric across results folders in time order (crowd plot --history): per
# backend the median with its 95% CI as error bars, p90 dashed, p99 dotted.
# Variables: n (backends), titles (their names), nruns (folders), scale (base unit per shown
# unit), logy (0/1), metric, ylabel. Data: datadir/history-<i>.dat per backend and
# datadir/history-runs.dat ("index started run"), rows as crowd compare --history --data:
# index started run backend n p50 ci95_lo ci95_hi p90 p99 (base units).
load scriptdir.'/common.gp'
set title figtitle.' (median with 95% CI, p90, p99; oldest left)' noenhanced
set xlabel 'results folder in time order (start time, UTC)' offset 0,-0.5
set ylabel ylabel noenhanced
f(i) = sprintf('%s/history-%d.dat', datadir, i)
runs = datadir.'/history-runs.dat'
# x label: the start time on two lines (date, time); a run named by hand (not starting with
# a digit like the default timestamped names) shows its name under the time instead of the
# date; the run name alone when the start is unknown.
named(r) = strstrt('0123456789', r[1:1]) == 0
lab2(s, r) = named(r) ? s[12:19]."\n".r[1:18] : s[1:10]."\n".s[12:19]
labn(s, r) = named(r) ? r[1:16] : s[6:10].' '.s[12:16]
lab(s, r) = s eq '-' ? r[1:24] : (nruns > 8 ? labn(s, r) : lab2(s, r))
# backends side by side around each folder, so their error bars do not hide each other
off(i) = n > 1 ? (i - (n + 1) / 2.0) * (0.4 / n) : 0
set xrange [-0.5:nruns - 0.5]
set xtics nomirror scale 0
if (nruns > 8) { set xtics rotate by 45 right font ',10'; set bmargin 8 }
set grid xtics lc rgb '#eeeeee' lt 1
if (logy) {
	set logscale y 10
	set format y '%g'
	set grid ytics mytics lc rgb '#dddddd' lt 1
	set mytics 10
	do for [k=-3:9] { set ytics add (2 * 10.0**k, 5 * 10.0**k) }
	set autoscale yfix
	set offsets 0, 0, graph 0.05, graph 0.05
} else {
	set yrange [0:*]
	set offsets 0, 0, graph 0.05, 0
}
# the x labels come from history-runs.dat, drawn as invisible points at the smallest median
# (inside the y range) so that folders without a value of the metric are labelled too
stats datadir.'/history.dat' using 6 nooutput
ymin = STATS_min / scale
set key outside right top noenhanced samplen 3 spacing 1.2
plot runs using 1:(ymin):xtic(lab(strcol(2), strcol(3))) with points ps 0 lc rgb '#FFFFFFFF' notitle, \
     for [i=1:n] f(i) using ($1 + off(i)):($6 / scale):($7 / scale):($8 / scale) with yerrorlines lt i lw 2 pt 7 ps 1.2 title word(titles, i), \
     for [i=1:n] f(i) using ($1 + off(i)):($9 / scale) with linespoints lt i dt 2 lw 1.5 pt 4 ps 0.9 notitle, \
     for [i=1:n] f(i) using ($1 + off(i)):($10 / scale) with linespoints lt i dt 3 lw 1.5 pt 6 ps 0.9 notitle, \
     keyentry with yerrorlines lc rgb '#444444' lw 2 pt 7 title 'p50, bars: 95% CI', \
     keyentry with linespoints lc rgb '#444444' dt 2 lw 1.5 pt 4 title 'p90 (dashed)', \
     keyentry with linespoints lc rgb '#444444' dt 3 lw 1.5 pt 6 title 'p99 (dotted)'
