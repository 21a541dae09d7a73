# Shared by every crowd figure: terminal, output, footnote, look. Variables set by crowd plot:
# fmt (png|svg|pdf), out (file), datadir, scriptdir, footnote, figtitle.
if (!exists("height")) height = 700
if (fmt eq 'png') {
	set terminal pngcairo size 1200,height enhanced font 'DejaVu Sans,12' linewidth 1.5
} else {
	if (fmt eq 'svg') {
		set terminal svg size 1200,height dynamic enhanced font 'DejaVu Sans,12' linewidth 1.5 background '#ffffff'
	} else {
		set terminal pdfcairo size 12in,(height/100.0)*1in enhanced font 'DejaVu Sans,12' linewidth 1.5
	}
}
set output out
set encoding utf8
set datafile missing 'NaN'
set key noenhanced box opaque width 1
set grid ytics lc rgb '#dddddd' lt 1
set border lc rgb '#444444'
set bmargin 6
footfont = strlen(footnote) > 200 ? ',7' : ',9'
set label 1000 footnote at screen 0.01, screen 0.015 left font footfont textcolor rgb '#555555' noenhanced
# Okabe-Ito palette: readable for colour-blind readers and in grey.
set linetype 1 lc rgb '#0072B2' pt 7
set linetype 2 lc rgb '#D55E00' pt 5
set linetype 3 lc rgb '#009E73' pt 9
set linetype 4 lc rgb '#CC79A7' pt 11
set linetype 5 lc rgb '#E69F00' pt 13
set linetype 6 lc rgb '#56B4E9' pt 6
set linetype 7 lc rgb '#000000' pt 4
set linetype 8 lc rgb '#F0E442' pt 8
set linetype cycle 8
