// `metabench data download` against a local HTTP server serving fixtures: a
// good archive, a corrupted one, a truncated transfer (then resumed), an
// HTML error page and a 404; and the real Omniglot small subsets verified
// against their pinned checksums through the command line.
#include "datasets/download/download.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "metabench/errors.h"
#include "metabench/sha256.h"
#include "tests/dataset_fixtures.h"
#include "tests/http_test_server.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

namespace fs = std::filesystem;
using testing::HttpRoute;
using testing::TempDir;

struct Fixture {
  TempDir dir;
  testing::HttpTestServer server;
  std::string archive;  // bytes of a good zip
  DownloadSpec spec;

  Fixture() {
    testing::write_zip(dir.file("fixture.zip"),
                       testing::omniglot_entries("images_background/", {{"Alpha", 2}}, 2));
    archive = testing::read_bytes(dir.file("fixture.zip"));
    spec.name = "fixture";
    spec.destination = "omniglot";
    spec.files = {{server.base_url() + "/files/images_background.zip", sha256_hex(archive),
                   static_cast<int64_t>(archive.size())}};
  }
  std::string root() const { return dir.file("data"); }
  int download() { return download_dataset(spec, DownloadOptions{root(), "", nullptr}); }
  std::string error() {
    try {
      download();
    } catch (const DatasetError& e) {
      return e.what();
    }
    return "(no DatasetError)";
  }
  // Nothing of the dataset exists, and no unpacking folder was left behind.
  bool nothing_installed() const {
    if (fs::exists(root() + "/omniglot/images_background")) return false;
    for (const auto& e : fs::directory_iterator(root())) {
      if (e.path().filename().string().rfind(".unpack-", 0) == 0) return false;
    }
    return true;
  }
  std::string part() const { return root() + "/.downloads/images_background.zip.part"; }
};

TEST(Download, AGoodArchiveIsVerifiedUnpackedAndThenSkipped) {
  Fixture f;
  f.server.set("/files/images_background.zip", HttpRoute{200, f.archive});
  EXPECT_EQ(f.download(), 1);
  EXPECT_TRUE(fs::exists(f.root() + "/omniglot/images_background/Alpha/character01/0101_01.png"));
  EXPECT_FALSE(fs::exists(f.part()));
  EXPECT_EQ(f.download(), 0) << "a second download must find it installed";
  EXPECT_EQ(f.server.ranges("/files/images_background.zip").size(), 1u);
}

TEST(Download, AWrongChecksumLeavesNothingBehind) {
  Fixture f;
  std::string corrupted = f.archive;
  corrupted[corrupted.size() / 2] ^= 0x5a;
  f.server.set("/files/images_background.zip", HttpRoute{200, corrupted});
  const std::string error = f.error();
  EXPECT_NE(error.find("failed its checksum: SHA-256 " + sha256_hex(corrupted) + ", expected " +
                       f.spec.files[0].sha256),
            std::string::npos)
      << error;
  EXPECT_TRUE(f.nothing_installed());
  EXPECT_FALSE(fs::exists(f.part())) << "corrupt bytes must not be resumed";
}

TEST(Download, ATruncatedTransferIsReportedKeptAndResumed) {
  Fixture f;
  HttpRoute cut{200, f.archive};
  cut.cut_after = f.archive.size() / 3;
  f.server.set("/files/images_background.zip", cut);
  const std::string error = f.error();
  EXPECT_NE(error.find("was cut off after " + std::to_string(cut.cut_after) + " bytes"),
            std::string::npos)
      << error;
  EXPECT_TRUE(f.nothing_installed());
  ASSERT_TRUE(fs::exists(f.part()));
  EXPECT_EQ(fs::file_size(f.part()), cut.cut_after);

  f.server.set("/files/images_background.zip", HttpRoute{200, f.archive});
  EXPECT_EQ(f.download(), 1);
  const auto ranges = f.server.ranges("/files/images_background.zip");
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[1], "bytes=" + std::to_string(cut.cut_after) + "-");
  EXPECT_TRUE(fs::exists(f.root() + "/omniglot/images_background/Alpha/character02/0102_02.png"));
}

TEST(Download, AnHtmlPageInsteadOfTheArchiveIsRecognised) {
  Fixture f;
  const std::string page = "<!DOCTYPE html>\n<html><body>Quota exceeded</body></html>";
  f.server.set("/files/images_background.zip", HttpRoute{200, page, "text/html"});
  const std::string error = f.error();
  EXPECT_NE(error.find("returned an HTML page (" + std::to_string(page.size()) +
                       " bytes) instead of the archive"),
            std::string::npos)
      << error;
  EXPECT_TRUE(f.nothing_installed());
}

TEST(Download, AnHttpErrorNamesTheStatus) {
  Fixture f;  // no route: the server answers 404
  const std::string error = f.error();
  EXPECT_NE(error.find("the server answered HTTP 404"), std::string::npos) << error;
  EXPECT_TRUE(f.nothing_installed());
  EXPECT_FALSE(fs::exists(f.part()));
}

TEST(Download, AnArchiveThatCannotBeUnpackedLeavesNothingBehind) {
  Fixture f;
  const std::string broken = f.archive.substr(0, f.archive.size() / 2);
  f.spec.files[0].sha256 = sha256_hex(broken);  // pinned to the broken bytes
  f.spec.files[0].size = static_cast<int64_t>(broken.size());
  f.server.set("/files/images_background.zip", HttpRoute{200, broken});
  const std::string error = f.error();
  EXPECT_NE(error.find("cannot unpack"), std::string::npos) << error;
  EXPECT_TRUE(f.nothing_installed());
}

TEST(DownloadCommand, VerifiesTheRealOmniglotSubsetsAgainstThePinnedChecksums) {
  const std::string shared = testing::source_path("../shared/datasets/omniglot");
  if (!fs::exists(shared + "/images_background_small1.zip")) {
    GTEST_SKIP() << "the real Omniglot small subsets are not at " << shared;
  }
  TempDir dir;
  testing::HttpTestServer server;
  for (const char* name : {"images_background_small1.zip", "images_background_small2.zip"}) {
    server.set(std::string("/mirror/") + name,
               HttpRoute{200, testing::read_bytes(shared + "/" + name)});
  }
  const auto ok =
      testing::run_metabench({"data", "download", "omniglot-small", "--data-root", dir.file("data"),
                              "--mirror", server.base_url() + "/mirror"});
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("2 file(s) installed"), std::string::npos) << ok.output;
  EXPECT_TRUE(fs::is_directory(dir.file("data/omniglot/images_background_small2/Tagalog")));

  // The same command against a mirror serving other bytes: exit 2, one line.
  testing::HttpTestServer bad;
  bad.set("/mirror/images_background_small1.zip", HttpRoute{200, "not the archive"});
  const auto refused =
      testing::run_metabench({"data", "download", "omniglot-small", "--data-root",
                              dir.file("other"), "--mirror", bad.base_url() + "/mirror"});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("metabench: error: '" + bad.base_url() +
                                "/mirror/images_background_small1.zip' has 15 bytes, expected "
                                "1319022"),
            std::string::npos)
      << refused.output;
  EXPECT_FALSE(fs::exists(dir.file("other/omniglot/images_background_small1")));
}

TEST(DownloadCommand, UnknownAndUndownloadableNamesAreExplained) {
  const auto typo = testing::run_metabench({"data", "download", "omniglott"});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.output.find("no download named 'omniglott' (did you mean 'omniglot'?)"),
            std::string::npos)
      << typo.output;
  const auto mini = testing::run_metabench({"data", "download", "mini-imagenet"});
  EXPECT_EQ(mini.exit_code, 2);
  EXPECT_NE(mini.output.find("mini-imagenet has no public download"), std::string::npos);
}

}  // namespace
}  // namespace metabench
