# Containers against the VM of the same folder: spin-up p50 and PSS per instance on log
# scales, each container bar labelled with how many times more the VM takes.
# Variables: rows; data datadir/containers-vs-vm.dat:
# backend spinup_p50_ms pss_p50_mib spinup_ratio pss_ratio is_vm
load scriptdir.'/common.gp'
file = datadir.'/containers-vs-vm.dat'
set datafile columnheaders
set multiplot layout 1,2 title figtitle.' (medians per instance; label: VM ÷ this backend)' noenhanced
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set logscale y 10
set format y '%g'
set xrange [-0.6:rows-0.4]
set xtics noenhanced nomirror
set grid ytics mytics lc rgb '#eeeeee'
unset key
set tmargin 3
lab(v, r, vm, unit) = vm > 0 ? sprintf('%.3g %s', v, unit) : sprintf('%.3g %s\nVM ×%.0f', v, unit, r)
set title 'spin-up p50 (t_ready - t_request)' noenhanced
set ylabel 'spin-up (ms, log scale)'
set autoscale y
stats file using 2 nooutput
set yrange [STATS_min / 3 : STATS_max * 4]
plot file using 0:2:($6 > 0 ? 2 : 1):xtic(1) with boxes lc variable notitle, \
     '' using 0:2:(lab($2, $4, $6, 'ms')) with labels offset 0,1.6 font ',10' notitle
set title 'memory per instance: PSS p50 (engines: + shim/daemon share; VM: the QEMU process)' noenhanced
set ylabel 'PSS (MiB, log scale)'
set autoscale y
stats file using 3 nooutput
set yrange [STATS_min / 3 : STATS_max * 4]
plot file using 0:3:($6 > 0 ? 2 : 1):xtic(1) with boxes lc variable notitle, \
     '' using 0:3:(lab($3, $5, $6, 'MiB')) with labels offset 0,1.6 font ',10' notitle
unset multiplot
