#include "results/report_plots.h"

#include <cstdlib>
#include <map>

#include "core/files.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "results/store.h"

namespace metabench {
namespace {

std::string slug(const ReportTable& t) {
  std::string s = t.dataset + "-" + std::to_string(t.ways) + "w" + std::to_string(t.shots) + "s";
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '_';
  }
  return s;
}

// Text from the database (labels, titles) and paths as gnuplot data, never
// code: a single-quoted gnuplot string, inside which gnuplot performs no
// backquote (command) substitution and no backslash processing; a quote is
// doubled, and line breaks, which would end the command, become spaces.
// Labels are drawn with `set termoption noenhanced`, so no markup either.
std::string gnuplot_string(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

class Plotter {
 public:
  explicit Plotter(std::string dir) : dir_(std::move(dir)) { make_directories(dir_ + "/data"); }

  // Writes `rows` as a data file; returns its path.
  std::string data(const std::string& name, const std::string& rows) {
    const std::string path = dir_ + "/data/" + name + ".dat";
    write_file_atomically(path, rows);
    return path;
  }

  // Adds a plot: `setup` is gnuplot commands (labels, styles), `plot` the
  // plot command; rendered to NAME.png and NAME.svg.
  void add(const std::string& name, const std::string& setup, const std::string& plot) {
    const std::string base = dir_ + "/" + name;
    script_ += "reset\nset termoption noenhanced\nset grid\nset key outside right\n" + setup + "\n";
    script_ += "set terminal pngcairo size 900,500 font ',10'\nset output " +
               gnuplot_string(base + ".png") + "\n" + plot + "\n";
    script_ += "set terminal svg size 900,500 font 'sans,10' background rgb 'white'\nset output " +
               gnuplot_string(base + ".svg") + "\nreplot\nset output\n";
    files_.png.push_back(base + ".png");
    files_.svg.push_back(base + ".svg");
  }

  PlotFiles run() {
    if (files_.png.empty()) return files_;
    const std::string script = dir_ + "/data/plots.gp", log = dir_ + "/data/gnuplot.log";
    write_file_atomically(script, script_);
    write_file_atomically(log, "");
    // An argument vector, never a shell: the paths are data.
    int status = 0;
    try {
      status = run_program({"gnuplot", script}, log);
    } catch (const UserError& e) {
      throw UserError(std::string(e.what()) +
                      ": plots need gnuplot (apt-get install gnuplot-nox); drop --plots for a "
                      "report without them");
    }
    if (status != 0) {
      throw UserError("gnuplot failed on '" + script + "': " + trim(read_file(log)));
    }
    return files_;
  }

 private:
  std::string dir_;
  std::string script_;
  PlotFiles files_;
};

// Mean validation score over the cell's runs at each step, with mean elapsed seconds.
std::map<int64_t, std::pair<double, double>> validation_curve(ResultsStore& store,
                                                              const ReportCell& cell,
                                                              bool regression) {
  std::map<int64_t, std::tuple<double, double, int>> sums;
  for (const ReportRun& run : cell.runs) {
    Statement s = store.database().prepare(
        "SELECT step, accuracy, loss, elapsed_seconds FROM learning_curve "
        "WHERE run_id = ? AND split = 'val' ORDER BY step");
    s.bind(1, run.run_id);
    while (s.step()) {
      auto& [score, elapsed, n] = sums[s.column_int(0)];
      score += regression ? s.column_double(2) : 100 * s.column_double(1);
      elapsed += s.column_double(3);
      ++n;
    }
  }
  std::map<int64_t, std::pair<double, double>> curve;
  for (const auto& [step, sum] : sums) {
    const auto& [score, elapsed, n] = sum;
    curve[step] = {score / n, elapsed / n};
  }
  return curve;
}

}  // namespace

PlotFiles write_plots(ResultsStore& store, const ReportData& data, const std::string& dir) {
  Plotter plotter(dir);
  std::map<std::pair<std::string, int64_t>, std::vector<const ReportTable*>> by_ways;
  for (const ReportTable& t : data.tables) {
    const std::string name = slug(t);
    const std::string metric = t.regression ? "validation MSE" : "validation accuracy (%)";
    std::string by_step, by_time;
    for (size_t i = 0; i < t.cells.size(); ++i) {
      std::string rows_step, rows_time;
      for (const auto& [step, point] : validation_curve(store, t.cells[i], t.regression)) {
        rows_step += format("%lld %.6g\n", static_cast<long long>(step), point.first);
        rows_time += format("%.6g %.6g\n", point.second, point.first);
      }
      const std::string title = gnuplot_string(t.cells[i].label);
      by_step += (i ? ", " : "") +
                 gnuplot_string(plotter.data(name + "-val-" + std::to_string(i), rows_step)) +
                 " using 1:2 with linespoints title " + title;
      by_time += (i ? ", " : "") +
                 gnuplot_string(plotter.data(name + "-valtime-" + std::to_string(i), rows_time)) +
                 " using 1:2 with linespoints title " + title;
    }
    const std::string title = "set title " + gnuplot_string(t.title()) + "\n";
    plotter.add(name + "-val-vs-iteration",
                title + "set xlabel 'meta-iteration'\nset ylabel '" + metric + "'",
                "plot " + by_step);
    plotter.add(name + "-val-vs-time",
                title + "set xlabel 'wall-clock (s)'\nset ylabel '" + metric + "'",
                "plot " + by_time);

    std::string pareto, memory;
    for (const ReportCell& c : t.cells) {
      pareto +=
          format("%.6g %.6g %s\n", c.train_seconds, c.score.mean, gnuplot_string(c.label).c_str());
      memory += format("%s %.6g\n", gnuplot_string(c.label).c_str(), c.rss);
    }
    plotter.add(name + "-score-vs-train-time",
                title + "set xlabel 'meta-training time (s)'\nset ylabel '" + t.metric() +
                    "'\nset offsets graph 0.1, graph 0.2, graph 0.1, graph 0.1",
                "plot " + gnuplot_string(plotter.data(name + "-pareto", pareto)) +
                    " using 1:2 with points pt 7 ps 1.5 notitle, '' using 1:2:3 with labels "
                    "offset 0,1 notitle");
    plotter.add(name + "-peak-memory",
                title +
                    "set ylabel 'peak RSS (MB)'\nset style fill solid 0.6\nset boxwidth 0.6\n"
                    "set yrange [0:*]\nset xtics rotate by -30",
                "plot " + gnuplot_string(plotter.data(name + "-memory", memory)) +
                    " using 0:2:xtic(1) with boxes notitle");
    if (!t.regression) by_ways[{t.dataset, t.ways}].push_back(&t);

    // Where a sweep varies the inner-loop steps of an algorithm.
    std::map<std::string, std::map<int64_t, const ReportCell*>> by_steps;
    for (const ReportCell& c : t.cells) by_steps[c.algorithm][c.inner_steps] = &c;
    std::string steps_plot;
    int series = 0;
    for (const auto& [algorithm, cells] : by_steps) {
      if (cells.size() < 2) continue;
      std::string rows;
      for (const auto& [steps, cell] : cells) {
        rows += format("%lld %.6g %.6g\n", static_cast<long long>(steps), cell->score.mean,
                       cell->runs.size() > 1 ? cell->score.ci95 : 0.0);
      }
      steps_plot += (series ? ", " : "") +
                    gnuplot_string(plotter.data(name + "-steps-" + std::to_string(series), rows)) +
                    " using 1:2:3 with yerrorlines title " + gnuplot_string(algorithm);
      ++series;
    }
    if (series > 0) {
      plotter.add(name + "-score-vs-inner-steps",
                  title + "set xlabel 'inner-loop steps (training)'\nset ylabel '" + t.metric() +
                      "'\nset offsets 0.5, 0.5, 0, 0",
                  "plot " + steps_plot);
    }
  }
  for (const auto& [key, tables] : by_ways) {
    if (tables.size() < 2) continue;          // shots do not vary
    std::map<std::string, std::string> rows;  // label -> "shots mean ci"
    for (const ReportTable* t : tables) {
      for (const ReportCell& c : t->cells) {
        rows[c.label] += format("%lld %.6g %.6g\n", static_cast<long long>(t->shots), c.score.mean,
                                c.runs.size() > 1 ? c.score.ci95 : 0.0);
      }
    }
    const std::string name = key.first + "-" + std::to_string(key.second) + "w-score-vs-shots";
    std::string plot;
    int i = 0;
    for (const auto& [label, data_rows] : rows) {
      plot += (i ? ", " : "") +
              gnuplot_string(plotter.data(name + "-" + std::to_string(i), data_rows)) +
              " using 1:2:3 with yerrorlines title " + gnuplot_string(label);
      ++i;
    }
    plotter.add(
        name,
        "set title " +
            gnuplot_string(key.first + ", " + std::to_string(key.second) +
                           "-way: test accuracy against shots") +
            "\nset xlabel 'shots'\nset ylabel 'Test accuracy (%)'\nset offsets 0.5, 0.5, 0, 0",
        "plot " + plot);
  }
  return plotter.run();
}

}  // namespace metabench
