# Density: memory per container and spin-up against N, with the point where crowd density
# stopped and why. Variables: n, titles, stops (max_count per folder, -1 unknown), reasons,
# ratio (optional: two single-backend ramps, how many of the one per one of the other);
# data datadir/density-<i>.dat: count mem_available slab cgroup pss (MiB) spinup_p50 p99 (ms).
height = 900
load scriptdir.'/common.gp'
f(i) = sprintf('%s/density-%d.dat', datadir, i)
pre(i) = n > 1 ? word(titles, i).': ' : ''
if (exists('ratio')) { set label 99 ratio at screen 0.5, screen 0.945 center font ',12' textcolor rgb '#C00000' noenhanced front }
set multiplot layout 2,1 title figtitle.': containers added until a stop condition' noenhanced
set lmargin at screen 0.08
set rmargin at screen (n > 1 ? 0.62 : 0.76)
set tmargin 2
set bmargin 3
set xrange [0:*]
set offsets 0, graph 0.05, graph 0.1, 0
set grid xtics lc rgb '#eeeeee'
keyfont = n > 1 ? ',10' : ',11'
set key at screen 0.99, graph 1 right top noenhanced font keyfont samplen 3
set xzeroaxis lt -1 lc rgb '#888888'
do for [i=1:n] {
	s = real(word(stops, i))
	if (s >= 0) {
		set arrow i from first s, graph 0 to first s, graph 1 nohead dt 2 lw 2 lc rgb '#C00000' front
		set label 100+i sprintf('%sstop: %s at N=%d', pre(i), word(reasons, i), int(s)) at first s, graph (0.94 - 0.07*(i-1)) right offset -0.5,0 font ',10' textcolor rgb '#C00000' noenhanced front
	}
}
set ylabel 'memory per container (MiB)'
set autoscale y
plot for [i=1:n] f(i) using 1:2 with linespoints lt 3 dt i lw 2 title pre(i).'host: MemAvailable drop/N', \
     for [i=1:n] f(i) using 1:3 with linespoints lt 5 dt i lw 2 title pre(i).'host: Slab growth/N', \
     for [i=1:n] f(i) using 1:4 with linespoints lt 1 dt i lw 2 title pre(i).'cgroup charge', \
     for [i=1:n] f(i) using 1:5 with linespoints lt 2 dt i lw 2 title pre(i).'PSS'
set bmargin 6
set xlabel 'containers running (N)'
set ylabel 'spin-up of the step (ms)'
set yrange [0:*]
plot for [i=1:n] f(i) using 1:6 with linespoints lt 1 dt i lw 2 title pre(i).'spin-up p50', \
     for [i=1:n] f(i) using 1:7 with linespoints lt 2 dt i lw 2 title pre(i).'spin-up p99'
unset multiplot
