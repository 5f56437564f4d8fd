// The four report formats on a database whose runs the test writes itself, so
// the expected output (golden text) is built here from the same numbers; the
// published-number deltas, the paired tests, the plots, the HTML page in
// headless Chromium, and `metabench report`'s bad input.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/config_family.h"
#include "core/strings.h"
#include "metabench/errors.h"
#include "metabench/sha256.h"
#include "results/report.h"
#include "results/store.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// Adds a completed run whose episode i has accuracy 1 when i % period != 0.
void add_run(ResultsStore& store, const std::string& algorithm, int64_t seed, int period,
             double train_seconds, int64_t shots = 1, int64_t inner_steps = 1,
             const std::string& code = "metabench:0123456789ab",
             const std::vector<std::pair<std::string, std::string>>& settings = {}) {
  RunRecord r;
  r.config_yaml = "algorithm: " + algorithm + "\ndataset: omniglot\nseed: " + std::to_string(seed) +
                  "\nepisode: {shots: " + std::to_string(shots) +
                  "}\noptim: {inner_steps: " + std::to_string(inner_steps) + "}\n";
  r.config_hash = sha256_hex(r.config_yaml);
  r.config_family = config_family(RawConfig::from_node(YAML::Load(r.config_yaml), "test"),
                                  [](const std::string&) { return false; });
  r.inner_steps = inner_steps;
  r.algorithm = algorithm;
  r.dataset = "omniglot";
  // MAML's published Omniglot numbers are for its strided network.
  r.backbone = algorithm == "maml" ? "conv4-strided" : "conv4";
  r.ways = r.train_ways = 5;
  r.shots = r.train_shots = shots;
  r.queries = 15;
  r.seed = seed;
  r.test_episodes_checksum = "c0ffee";
  r.code_id = code;
  r.config_values = {{"backbone", r.backbone}, {"model.width", "64"}, {"episode.train_ways", "5"}};
  for (const auto& setting : settings) {
    bool replaced = false;
    for (auto& [key, value] : r.config_values) {
      if (key == setting.first) value = setting.second, replaced = true;
    }
    if (!replaced) r.config_values.push_back(setting);
  }
  const int64_t id = store.begin_run(r, "2026-11-22T00:00:00Z");
  store.add_curve_points(id, {{10, "val", 1.0, 0.5, 1.0}, {20, "val", 0.8, 0.7, 2.0}});
  std::vector<EpisodeResult> episodes;
  double sum = 0;
  for (int i = 0; i < 40; ++i) {
    const double a = i % period == 0 ? 0.0 : 1.0;
    episodes.push_back({i, a, 1 - a});
    sum += a;
  }
  RunSummary s;
  s.test_accuracy = sum / 40;
  s.test_accuracy_ci95 = 0.01;
  s.test_episodes = 40;
  s.iterations = 100;
  s.train_seconds = train_seconds;
  s.seconds_per_iteration = train_seconds / 100;
  s.adapt_ms = 5;
  s.peak_rss_mb = 200 + seed;
  store.complete_run(id, episodes, s, "2026-11-22T00:01:00Z");
}

// maml: 39/40 correct episodes (97.5%); protonet: every other (50%).
void fill(ResultsStore& store) {
  for (int seed = 1; seed <= 2; ++seed) {
    add_run(store, "maml", seed, 40, 100);
    add_run(store, "protonet", seed, 2, 10);
  }
}

TEST(ReportFormats, CsvIsTidyWithOneRowPerRunAndPerCell) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  fill(store);
  const std::string csv = make_report(store, {}, "csv");
  const std::string expected =
      "row_type,dataset,ways,shots,algorithm,config_family,run_id,seed,seeds,episodes,metric,"
      "value,ci95_seeds,ci95_episodes,train_seconds,seconds_per_iteration,adapt_ms,peak_rss_mb,"
      "published,delta_published,test_episodes_checksum,code_id\n";
  ASSERT_EQ(csv.substr(0, expected.size()), expected);
  const auto lines = split(csv, '\n');
  ASSERT_EQ(lines.size(), 1u + 6u + 1u);  // header, 4 runs + 2 cells, trailing newline
  const std::string family = split(lines[1], ',')[5];
  EXPECT_EQ(lines[1], "run,omniglot,5,1,maml," + family +
                          ",1,1,1,40,accuracy_percent,97.5,,1,100,1,5,201,,,c0ffee,"
                          "metabench:0123456789ab");
  // MAML's published 5-way 1-shot Omniglot number is 98.7: delta -1.2.
  EXPECT_EQ(lines[3], "cell,omniglot,5,1,maml," + family +
                          ",,,2,40,accuracy_percent,97.5,0,1,100,1,5,201.5,98.7,-1.2,c0ffee,"
                          "metabench:0123456789ab");
}

TEST(ReportFormats, MarkdownHasPaperDeltasAndSignificance) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  fill(store);
  const std::string md = make_report(store, {}, "md");
  EXPECT_NE(md.find("## omniglot, 5-way 1-shot"), std::string::npos) << md;
  EXPECT_NE(md.find("| maml | 97.50 | ± 0.00 | ± 1.00 | 2 | 40 | 100.0 | 1.0000 | 5.00 | 202 | "
                    "98.70 ± 0.40 (95% CI over episodes) | -1.20 |"),
            std::string::npos)
      << md;
  // ProtoNets' paper trained on 60-way episodes, these runs on 5-way ones:
  // no paper number and no delta, and the report says why.
  EXPECT_NE(md.find("| protonet | 50.00 | ± 0.00 | ± 1.00 | 2 | 40 | 10.0 | 0.1000 | 5.00 | 202 "
                    "|  |  |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("No paper comparison for protonet: Snell et al. 2017 (NeurIPS), Table 1 "
                    "requires episode.train_ways=60 (this run: 5)."),
            std::string::npos)
      << md;
  // 19 episodes where maml is right and protonet wrong, none the other way:
  // zeros and ties, so the normal approximation.
  EXPECT_NE(md.find("| maml | protonet | +47.50 | normal approximation | < 0.001 | yes |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("so seed-to-seed variance is not part of these p-values"), std::string::npos);
  EXPECT_EQ(md.find("Over seeds (Welch"), std::string::npos) << "2 seeds: no seed test";
}

// A 60-way-trained ProtoNet gets its paper number; a non-transductive Reptile
// gets the non-transductive one, a transductive Reptile the transductive one.
TEST(ReportFormats, PaperNumbersOnlyLikeForLike) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  add_run(store, "protonet", 1, 2, 10, 1, 1, "metabench:0123456789ab",
          {{"episode.train_ways", "60"}});
  add_run(store, "reptile", 1, 2, 10, 1, 1, "metabench:0123456789ab",
          {{"algo.transductive", "false"}});
  add_run(store, "reptile", 1, 2, 10, 5, 1, "metabench:0123456789ab",
          {{"algo.transductive", "true"}});
  const std::string md = make_report(store, {}, "md");
  EXPECT_NE(md.find("| protonet | 50.00 | n/a (1 seed) | ± 1.00 | 1 | 40 | 10.0 | 0.1000 | 5.00 | "
                    "201 | 98.80 | -48.80 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 95.39 ± 0.09 (95% CI) | -45.39 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 99.48 ± 0.06 (95% CI) | -49.48 |"), std::string::npos) << md;
  EXPECT_EQ(md.find("97.68"), std::string::npos) << md;
}

TEST(ReportFormats, ReproductionPageComparesOnlyLikeForLike) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  for (int seed = 1; seed <= 3; ++seed) {
    add_run(store, "protonet", seed, 2, 10, 1, 1, "metabench:0123456789ab",
            {{"episode.train_ways", "60"}});
    add_run(store, "reptile", seed, 40, 10, 1, 1, "metabench:0123456789ab",
            {{"algo.transductive", "false"}, {"model.width", "32"}});
  }
  const std::string page = make_report(store, {}, "reproduction");
  EXPECT_NE(page.find("| protonet | 50.00 ± 0.00 over 3 seeds (t, 2 df); ± 1.00 over 40 episodes | "
                      "98.80 | -48.80 | Snell et al. 2017 (NeurIPS), Table 1 |"),
            std::string::npos)
      << page;
  // Reptile's Omniglot entries require only backbone and transduction: compared.
  EXPECT_NE(page.find("| reptile | 97.50 ± 0.00 over 3 seeds (t, 2 df)"), std::string::npos)
      << page;
  EXPECT_NE(page.find("95.39 ± 0.09 (95% CI) | +2.11 |"), std::string::npos) << page;
  EXPECT_NE(page.find("2 cell(s) compared with a paper, 0 not comparable"), std::string::npos)
      << page;
}

// Five seeds per cell add Welch's t-test on the per-seed means.
TEST(ReportFormats, FiveSeedsAddATestOnPerSeedMeans) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  for (int seed = 1; seed <= 5; ++seed) {
    add_run(store, "maml", seed, 40 - seed, 100);
    add_run(store, "protonet", seed, 2 + seed % 2, 10);
  }
  const std::string md = make_report(store, {}, "md");
  EXPECT_NE(md.find("Over seeds (Welch's t-test on the per-seed means"), std::string::npos) << md;
  EXPECT_NE(md.find("| maml | protonet | 5, 5 |"), std::string::npos) << md;
}

// Over three seeds the interval uses t(0.975, 2) = 4.303, not 1.96.
TEST(ReportFormats, IntervalsOverThreeSeedsUseStudentsT) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  // Accuracies 97.5, 95 and 90 (periods 40, 20 and 10 over 40 episodes):
  // mean 94.1667, s = 3.8188, half-width 4.3027 * 3.8188 / sqrt(3) = 9.49.
  add_run(store, "maml", 1, 40, 100);
  add_run(store, "maml", 2, 20, 100);
  add_run(store, "maml", 3, 10, 100);
  const std::string md = make_report(store, {}, "md");
  EXPECT_NE(md.find("| maml | 94.17 | ± 9.49 | ± 1.00 | 3 | 40 |"), std::string::npos) << md;
}

// One config (same hash) completed by two builds: the table shows a cell per
// code identity, never their average; each is compared with the paper on
// its own.
TEST(ReportFormats, AConfigRecordedByTwoCodesIsShownOncePerCode) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  add_run(store, "maml", 1, 40, 100);
  add_run(store, "maml", 1, 2, 100, 1, 1, "metabench:ba9876543210");
  add_run(store, "protonet", 1, 2, 10);
  const std::string md = make_report(store, {}, "md");
  EXPECT_NE(md.find("| maml [code metabench:0123456789ab] | 97.50 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| maml [code metabench:ba9876543210] | 50.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| protonet | 50.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("recorded by 2 different code identities (`metabench:0123456789ab`, "
                    "`metabench:ba9876543210`)"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| maml [code metabench:0123456789ab] | 97.50 | n/a (1 seed) |"),
            std::string::npos)
      << md;
}

TEST(ReportFormats, LatexUsesBooktabsAndBoldsTheBestOfEachColumn) {
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  fill(store);
  const std::string tex = make_report(store, {}, "latex");
  EXPECT_NE(tex.find("\\toprule"), std::string::npos);
  EXPECT_NE(tex.find("\\bottomrule"), std::string::npos);
  EXPECT_NE(tex.find("maml & \\textbf{97.50 $\\pm$ 0.00} & 2 & 100.0 & 1.0000 & \\textbf{5.00} & "
                     "\\textbf{202} \\\\"),
            std::string::npos)
      << tex;
  EXPECT_NE(tex.find("protonet & 50.00 $\\pm$ 0.00 & 2 & \\textbf{10.0} & \\textbf{0.1000} & 5.00 "
                     "& 202 \\\\"),
            std::string::npos)
      << tex;
}

// Names in a database travel with it and may be hostile: they reach
// gnuplot as data (no shell, no backquote substitution) and every format
// escapes them.
TEST(ReportFormats, HostileNamesRunNothingAndAreEscaped) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  TempDir dir;
  const std::string marker = dir.file("pwned");
  const std::string hostile = "x`touch " + marker + "1`'$(touch " + marker + "2)\"\n<script>" +
                              "\\input{/etc/passwd}' ; system('touch " + marker + "3') #";
  {
    ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
    add_run(store, "maml", 1, 40, 100);
    add_run(store, "protonet", 1, 2, 10);
    store.database().exec("UPDATE runs SET algorithm = " + std::string("'") + [&] {
      std::string quoted;
      for (char c : hostile) quoted += c == '\'' ? std::string("''") : std::string(1, c);
      return quoted;
    }() + "' WHERE algorithm = 'maml'");
  }
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadOnly);
  ReportOptions options;
  options.plots_dir = dir.file("plots dir with 'quote");
  const std::string html = make_report(store, options, "html");
  const std::string md = make_report(store, options, "md");
  const std::string latex = make_report(store, {}, "latex");
  for (const char* n : {"1", "2", "3"}) {
    EXPECT_FALSE(fs::exists(marker + n)) << "a name from the database ran a command";
  }
  EXPECT_TRUE(fs::exists(options.plots_dir + "/omniglot-5w1s-peak-memory.svg"));
  EXPECT_EQ(html.find("<script>\\input"), std::string::npos);  // the name, unescaped
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(latex.find("\\input{"), std::string::npos) << latex;
  // Without --plots, the HTML page's plots go to a private temporary folder
  // beside the document, removed afterwards.
  const std::string here = fs::path(dir.file("r.sqlite")).parent_path().string();
  EXPECT_NE(make_report(store, {}, "html", here).find("&lt;script&gt;"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(here)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".metabench-plots", 0), std::string::npos)
        << entry.path();
  }
}

TEST(ReportFormats, HtmlIsSelfContainedAndRendersItsPlotsInChromium) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  fill(store);
  ReportOptions options;
  options.plots_dir = dir.file("plots");
  const std::string html = make_report(store, options, "html");
  for (const char* name : {"omniglot-5w1s-val-vs-iteration", "omniglot-5w1s-val-vs-time",
                           "omniglot-5w1s-score-vs-train-time", "omniglot-5w1s-peak-memory"}) {
    EXPECT_GT(fs::file_size(dir.file("plots/") + name + ".png"), 1000u) << name;
    EXPECT_GT(fs::file_size(dir.file("plots/") + name + ".svg"), 1000u) << name;
  }
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("@import"), std::string::npos);
  testing::write_text(dir.file("report.html"), html);

  const char* browsers[] = {"chromium", "chromium-browser", "google-chrome"};
  std::string browser;
  for (const char* b : browsers) {
    if (std::system(("command -v " + std::string(b) + " > /dev/null 2>&1").c_str()) == 0) {
      browser = b;
      break;
    }
  }
  if (browser.empty()) {
    GTEST_SKIP() << "no headless Chromium (scripts/setup.sh installs the chromium package)";
  }
  // --dump-dom prints the DOM after the scripts ran; console messages go to
  // stderr with --enable-logging.  Network access is refused outright.
  const std::string command =
      browser + " --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=" +
      dir.file("chrome") +
      " --proxy-server=127.0.0.1:9 --enable-logging=stderr --v=0 --virtual-time-budget=3000 "
      "--dump-dom file://" +
      dir.file("report.html") + " > " + dir.file("dom.html") + " 2> " + dir.file("console.txt");
  ASSERT_EQ(std::system(command.c_str()), 0) << testing::read_text(dir.file("console.txt"));
  const std::string dom = testing::read_text(dir.file("dom.html"));
  const std::string console = testing::read_text(dir.file("console.txt"));
  EXPECT_NE(dom.find("data-plots=\"4\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_NE(dom.find("data-plots-visible=\"4\""), std::string::npos) << console;
  EXPECT_EQ(console.find("Uncaught"), std::string::npos) << console;
  EXPECT_EQ(console.find("CONSOLE"), std::string::npos) << console;
  EXPECT_EQ(console.find("ERR_"), std::string::npos) << console;
}

TEST(ReportFormats, PlotsScoreAgainstShotsAndInnerStepsWhenASweepVariesThem) {
  if (std::system("command -v gnuplot > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "gnuplot is not installed (scripts/setup.sh installs gnuplot-nox)";
  }
  TempDir dir;
  ResultsStore store(dir.file("r.sqlite"), ResultsStore::Access::kReadWrite);
  fill(store);
  add_run(store, "maml", 1, 10, 100, /*shots=*/5);
  add_run(store, "maml", 1, 20, 200, /*shots=*/1, /*inner_steps=*/5);
  ReportOptions options;
  options.plots_dir = dir.file("plots");
  const std::string md = make_report(store, options, "md", dir.path());
  EXPECT_GT(fs::file_size(dir.file("plots/omniglot-5w-score-vs-shots.png")), 1000u);
  EXPECT_GT(fs::file_size(dir.file("plots/omniglot-5w1s-score-vs-inner-steps.svg")), 1000u);
  EXPECT_NE(md.find("![plots/omniglot-5w1s-score-vs-inner-steps.png]"
                    "(plots/omniglot-5w1s-score-vs-inner-steps.png)"),
            std::string::npos)
      << md;
  // Two maml configurations in one setting: labelled rows, no paper delta.
  EXPECT_NE(md.find("| maml [config "), std::string::npos);
}

TEST(ReportCommand, BadInputHasClearMessagesAndExitCodes) {
  TempDir dir;
  const std::string db = dir.file("r.sqlite");
  { ResultsStore store(db, ResultsStore::Access::kReadWrite); }
  const auto empty = testing::run_metabench({"report", "--db", db});
  EXPECT_EQ(empty.exit_code, 3) << empty.output;
  EXPECT_NE(empty.output.find("no completed runs in '" + db + "'"), std::string::npos);
  const auto format = testing::run_metabench({"report", "--db", db, "--format", "htm"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_NE(format.output.find("--format 'htm' is not supported (did you mean 'html'?)"),
            std::string::npos)
      << format.output;
  {
    ResultsStore store(db, ResultsStore::Access::kReadWrite);
    fill(store);
  }
  const auto nothing = testing::run_metabench({"report", "--db", db, "--where", "shots = 7"});
  EXPECT_EQ(nothing.exit_code, 3);
  EXPECT_NE(nothing.output.find("for runs where `shots = 7`"), std::string::npos) << nothing.output;
  const auto invalid = testing::run_metabench({"report", "--db", db, "--where", "shotz = 1"});
  EXPECT_EQ(invalid.exit_code, 2);
  EXPECT_NE(invalid.output.find("--where 'shotz = 1': at character 1, expected a column of "
                                "run_summary (docs/results-schema.md) (did you mean 'shots'?)"),
            std::string::npos)
      << invalid.output;
  // The text is data, never SQL: a quote inside a value stays in the value.
  const auto injected =
      testing::run_metabench({"report", "--db", db, "--where", "algorithm = 'x'' OR ''1''=''1'"});
  EXPECT_EQ(injected.exit_code, 3) << injected.output;
  const auto spliced = testing::run_metabench({"report", "--db", db, "--where", "1) OR (1 = 1"});
  EXPECT_EQ(spliced.exit_code, 2) << spliced.output;
  const auto csv = testing::run_metabench({"report", "--db", db, "--where", "algorithm = 'maml'",
                                           "--format", "csv", "--out", dir.file("out/r.csv")});
  EXPECT_EQ(csv.exit_code, 0) << csv.output;
  EXPECT_EQ(split(testing::read_text(dir.file("out/r.csv")), '\n').size(), 1u + 3u + 1u);
}

}  // namespace
}  // namespace metabench
