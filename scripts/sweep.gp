# The price of each primitive (crowd bench --sweep): per step, the difference of medians to
# its base step with the bootstrap 95% CI, spin-up (us) above, cgroup charge (KiB) below.
# Variables: run, kind, rows; data datadir/sweep.dat: step vs spinup_delta_us lo hi
# cgroup_delta_kib lo hi pss_delta_kib lo hi (NaN for the first step).
height = 900
load scriptdir.'/common.gp'
file = datadir.'/sweep.dat'
set datafile columnheaders
set multiplot layout 2,1 title figtitle.': '.kind.' sweep, each step against its base ('.run.')' noenhanced
set style fill solid 0.6 border rgb '#333333'
set boxwidth 0.6
set xrange [-0.6:int(rows)-0.4]
set xtics noenhanced nomirror rotate by -30 left font ',9'
set xzeroaxis lt -1 lc rgb '#888888'
set key off
set ylabel 'spin-up delta p50 (us)'
plot file using 0:3 with boxes lt 1, '' using 0:3:4:5:xtic(1) with yerrorbars lt -1 pt 0
set ylabel 'cgroup charge delta p50 (KiB)'
plot file using 0:6 with boxes lt 2, '' using 0:6:7:8:xtic(1) with yerrorbars lt -1 pt 0
unset multiplot
