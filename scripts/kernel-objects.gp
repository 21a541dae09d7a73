# Kernel memory by object: per density step (x: containers running after it), the slab growth
# per added container stacked by the kind of object (the 7 largest kinds and "other").
# Variables: run, kindcols; data datadir/kernel-objects.dat: count then one column per kind
# (KiB per added container, quoted headers).
load scriptdir.'/common.gp'
file = datadir.'/kernel-objects.dat'
set title figtitle.': slab growth per added container, by kind of object ('.run.')' noenhanced
set ylabel 'KiB per added container'
set xlabel 'containers running after the step (N)'
set style data histogram
set style histogram rowstacked
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.8
set xtics noenhanced nomirror rotate by -45 left font ',9'
set key outside right top noenhanced font ',10'
set yrange [*<0:*]
plot for [c=2:int(kindcols)+1] file using c:xtic(1) title columnheader(c)
