# tail.gp - ends what head.gp began.
if (npanels > 1) { unset multiplot }
unset output
