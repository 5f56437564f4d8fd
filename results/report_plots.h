// Report plots, drawn by gnuplot (Debian package gnuplot-nox) as PNG and SVG:
// per dataset and setting, validation accuracy (or MSE) against
// meta-iteration and against wall-clock, test score against training time
// (a Pareto view of cost and accuracy) and peak memory per algorithm; per
// dataset and way count with several shot counts, test score against shots.
// Each curve is the mean over a configuration's seeds.  The data behind
// each plot is kept beside it (data/*.dat), with the gnuplot script.
#pragma once

#include <string>
#include <vector>

#include "results/report_data.h"

namespace metabench {

struct PlotFiles {
  std::vector<std::string> png, svg;  // paths, in the same order
};

// Writes the plots into `dir` (created).  Throws UserError when gnuplot is
// missing or fails, naming the script and its error output.
PlotFiles write_plots(ResultsStore& store, const ReportData& data, const std::string& dir);

}  // namespace metabench
