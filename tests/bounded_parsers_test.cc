// Readers of untrusted files check the sizes a file declares against its
// length (and sane limits) before they allocate: a damaged header gives a
// one-line error naming the file, or, for a cache, a rebuild; never a huge
// allocation.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/raw_config.h"
#include "datasets/io/image_decode.h"
#include "metabench/errors.h"
#include "nn/checkpoint.h"
#include "tests/test_util.h"

namespace metabench {
namespace {

using testing::TempDir;

// Overwrites the 8 bytes at `offset` of `path` with `value`.
void patch_u64(const std::string& path, size_t offset, uint64_t value) {
  std::string bytes = testing::read_text(path);
  ASSERT_LE(offset + 8, bytes.size());
  std::memcpy(bytes.data() + offset, &value, 8);
  testing::write_text(path, bytes);
}

// A checkpoint in metabench's own format of before version 3 (magic
// MBCKPT02; MBCKPT01 has no YAML): little-endian u64 lengths and sizes,
// float32 data.  Such files must stay readable.
void write_legacy_checkpoint(const std::string& path, const Checkpoint& c, bool v1 = false) {
  std::string out(v1 ? "MBCKPT01" : "MBCKPT02", 8);
  auto u64 = [&](uint64_t v) { out.append(reinterpret_cast<const char*>(&v), 8); };
  auto str = [&](const std::string& text) {
    u64(text.size());
    out += text;
  };
  str(c.config_hash);
  if (!v1) str(c.config_yaml);
  u64(static_cast<uint64_t>(c.iteration));
  u64(c.tensors.size());
  for (const auto& [name, tensor] : c.tensors) {
    str(name);
    u64(static_cast<uint64_t>(tensor.dim()));
    for (int64_t d : tensor.sizes()) u64(static_cast<uint64_t>(d));
    const at::Tensor t = tensor.contiguous();
    out.append(static_cast<const char*>(t.data_ptr()), t.numel() * sizeof(float));
  }
  testing::write_text(path, out);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "";
}

TEST(BoundedParsers, ACheckpointWithAHugeDeclaredTensorIsRefusedBeforeAllocating) {
  TempDir dir;
  const std::string path = dir.file("c.ckpt");
  Checkpoint c;
  c.config_hash = "h";
  c.config_yaml = "a: 1\n";
  c.tensors = {{"w", at::ones({3, 4})}};
  write_legacy_checkpoint(path, c);
  ASSERT_EQ(load_checkpoint(path).tensors[0].second.numel(), 12);
  // magic 8, hash 8+1, yaml 8+5, iteration 8, count 8, name 8+1, then dims.
  const size_t dims_at = 8 + 9 + 13 + 8 + 8 + 9;
  patch_u64(path, dims_at + 8, uint64_t{1} << 20);  // 2^20 x 2^20 floats
  patch_u64(path, dims_at + 16, uint64_t{1} << 20);
  std::string e = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(e.find("checkpoint '" + path + "' is damaged: a tensor larger than the rest"),
            std::string::npos)
      << e;
  patch_u64(path, dims_at + 8, uint64_t{1} << 40);  // one size beyond the file
  e = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(e.find("is damaged: a tensor dimension of 1099511627776"), std::string::npos) << e;
  // A 0 first, then a size that is negative as int64 (found by fuzzing).
  patch_u64(path, dims_at + 8, 0);
  patch_u64(path, dims_at + 16, uint64_t{1} << 63);
  e = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(e.find("is damaged: a tensor dimension of 9223372036854775808"), std::string::npos)
      << e;
  patch_u64(path, dims_at, uint64_t{1} << 50);  // a dimension count of 2^50
  e = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(e.find("dimensions (at most 8 expected)"), std::string::npos) << e;
  patch_u64(path, dims_at - 17, uint64_t{1} << 60);  // the tensor count
  e = error_of([&] { load_checkpoint(path); });
  EXPECT_NE(e.find("declares 1152921504606846976 items"), std::string::npos) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
}

// Regression (found by fuzz_checkpoint under UBSan): a tensor with a zero
// dimension has no storage, and copying its 0 bytes to null was undefined.
TEST(BoundedParsers, ACheckpointWithAnEmptyTensorLoads) {
  TempDir dir;
  Checkpoint c;
  c.config_hash = "h";
  c.tensors = {{"empty", at::ones({2, 0, 3})}, {"w", at::ones({2})}};
  save_checkpoint(dir.file("e.ckpt"), c);
  const Checkpoint back = load_checkpoint(dir.file("e.ckpt"));
  ASSERT_EQ(back.tensors.size(), 2u);
  EXPECT_EQ(back.tensors[0].second.sizes(), at::IntArrayRef({2, 0, 3}));
  EXPECT_EQ(back.tensors[1].second.sum().item<float>(), 2.0f);
}

TEST(BoundedParsers, CheckpointsOfEveryFormatLoadAndDamagedOnesAreRefusedNamingTheFile) {
  TempDir dir;
  Checkpoint c;
  c.config_hash = "abc";
  c.config_yaml = "algorithm: maml\n";
  c.iteration = 7;
  c.tensors = {{"block0.conv.weight", at::arange(6, at::kFloat).reshape({2, 3})},
               {"head.bias", at::full({2}, 0.5f)}};
  write_legacy_checkpoint(dir.file("v1.ckpt"), c, /*v1=*/true);
  write_legacy_checkpoint(dir.file("v2.ckpt"), c);
  save_checkpoint(dir.file("v3.ckpt"), c);
  EXPECT_EQ(testing::read_text(dir.file("v3.ckpt")).substr(0, 4), std::string("PK\x03\x04", 4))
      << "version 3 is a torch.save() zip file";
  for (const char* name : {"v1.ckpt", "v2.ckpt", "v3.ckpt"}) {
    const Checkpoint back = load_checkpoint(dir.file(name));
    EXPECT_EQ(back.config_hash, "abc") << name;
    EXPECT_EQ(back.config_yaml, std::string(name) == "v1.ckpt" ? "" : "algorithm: maml\n");
    EXPECT_EQ(back.iteration, 7) << name;
    ASSERT_EQ(back.tensors.size(), 2u) << name;
    EXPECT_EQ(back.tensors[0].first, "block0.conv.weight");
    EXPECT_TRUE(at::equal(back.tensors[0].second, c.tensors[0].second)) << name;
    EXPECT_TRUE(at::equal(back.tensors[1].second, c.tensors[1].second)) << name;
  }
  const std::string bytes = testing::read_text(dir.file("v3.ckpt"));
  testing::write_text(dir.file("cut.ckpt"), bytes.substr(0, bytes.size() - 40));
  const std::string e = error_of([&] { load_checkpoint(dir.file("cut.ckpt")); });
  EXPECT_NE(e.find("checkpoint '" + dir.file("cut.ckpt") + "' is not a readable torch.save() file"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
}

// Regression (found by fuzz_checkpoint under ASan): LibTorch's in-memory
// zip reader read past the buffer for a damaged directory; the directory is
// now checked against the file first, and reads are bounded.
TEST(BoundedParsers, ATorchFileWhoseZipDirectoryDeclaresTooMuchIsRefusedBeforeReading) {
  TempDir dir;
  Checkpoint c;
  c.config_hash = "h";
  c.tensors = {{"w", at::ones({64})}};
  save_checkpoint(dir.file("c.ckpt"), c);
  std::string bytes = testing::read_text(dir.file("c.ckpt"));
  const size_t entry = bytes.rfind(std::string("PK\x01\x02", 4));  // the last directory entry
  ASSERT_NE(entry, std::string::npos);
  const uint32_t huge = 0x7FFFFFF0u;
  std::memcpy(bytes.data() + entry + 20, &huge, 4);  // compressed and uncompressed sizes
  std::memcpy(bytes.data() + entry + 24, &huge, 4);
  testing::write_text(dir.file("big.ckpt"), bytes);
  std::string e = error_of([&] { load_checkpoint(dir.file("big.ckpt")); });
  EXPECT_NE(e.find("its zip directory declares an entry of 2147483632 bytes beyond the file's end"),
            std::string::npos)
      << e;
  const size_t end = bytes.rfind(std::string("PK\x05\x06", 4));
  ASSERT_NE(end, std::string::npos);
  testing::write_text(dir.file("cut.ckpt"), bytes.substr(0, end));  // no end record
  e = error_of([&] { load_checkpoint(dir.file("cut.ckpt")); });
  EXPECT_NE(e.find("its zip directory has no end record"), std::string::npos) << e;
}

// Regression (found by fuzz_checkpoint: out of memory): LibTorch's
// unpickler reserves a string's declared length before reading it; the
// pickle is now walked first and a length beyond its end refused.
TEST(BoundedParsers, ATorchFileWhosePickleDeclaresAHugeStringIsRefusedBeforeUnpickling) {
  const std::string bytes =
      testing::read_text(testing::source_path("tests/fuzz/corpus/checkpoint/"
                                              "regression-pickle-string-length-oom"));
  const std::string e = error_of([&] { parse_checkpoint(bytes, "oom.ckpt"); });
  EXPECT_NE(e.find("checkpoint 'oom.ckpt' is not a readable torch.save() file"), std::string::npos)
      << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << "one line";
}

// Regression (found by fuzz_checkpoint: LibTorch's error escaped as an
// internal one): a pickle may name any storage class, and a quantized
// tensor could not be converted to float.  The tensor is refused as input.
TEST(BoundedParsers, ATorchFileWithAQuantizedTensorIsRefusedNamingTheTensor) {
  TempDir dir;
  Checkpoint c;
  c.config_hash = "h";
  c.tensors = {{"w", at::ones({4})}};
  save_checkpoint(dir.file("f.ckpt"), c);
  const std::string floats = testing::read_text(dir.file("f.ckpt"));
  std::string quantized = floats;  // the same length: the zip directory still fits
  const size_t at = quantized.find("FloatStorage");
  ASSERT_NE(at, std::string::npos);
  quantized.replace(at, 12, "QInt8Storage");
  const std::string e = error_of([&] { parse_checkpoint(quantized, "q.ckpt"); });
  EXPECT_NE(e.find("checkpoint 'q.ckpt': tensor 'w' of field 'tensors' is QInt8 (quantized); "
                   "expected a dense tensor of real numbers"),
            std::string::npos)
      << e;
  EXPECT_EQ(parse_checkpoint(floats, "f.ckpt").tensors.at(0).second.sum().item<float>(), 4.0f);
}

TEST(BoundedParsers, AnImageDeclaringHugeDimensionsIsRefusedBeforeDecoding) {
  // A PNG signature and an IHDR chunk declaring 20,000 x 20,000 pixels
  // (stb_image does not check the CRC), then nothing.
  std::string png("\x89PNG\r\n\x1a\n", 8);
  const unsigned char ihdr[] = {0,    0,    0,    13,   'I',  'H',  'D',  'R', 0x00,
                                0x00, 0x4E, 0x20, 0x00, 0x00, 0x4E, 0x20, 8,   0,
                                0,    0,    0,    0,    0,    0,    0};
  png.append(reinterpret_cast<const char*>(ihdr), sizeof(ihdr));
  try {
    decode_image(png, 1, "huge.png");
    FAIL() << "decoded";
  } catch (const DatasetError& e) {
    EXPECT_NE(std::string(e.what()).find("'huge.png' declares a 20000x20000 image"),
              std::string::npos)
        << e.what();
  }
}

// Regression (found by fuzz_image: UBSan, memcpy to a null pointer): a PGM
// header whose sides parse as 0 is decoded by stb_image into no pixels.
TEST(BoundedParsers, AnImageDeclaringNoPixelsIsRefused) {
  const std::string pgm =
      testing::read_text(testing::source_path("tests/fuzz/corpus/image/regression-zero-size-pgm"));
  try {
    decode_image(pgm, 1, "empty.pgm");
    FAIL() << "decoded";
  } catch (const DatasetError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'empty.pgm'"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line";
  }
}

// A 16-byte PPM declaring 6666 x 686 16-bit pixels: stb_image's loader read
// them past the end of the buffer (fuzz_image under ASan).
TEST(BoundedParsers, APnmShorterThanItsDeclaredPixelsIsRefusedBeforeDecoding) {
  const std::string ppm = testing::read_text(
      testing::source_path("tests/fuzz/corpus/image/regression-16-bit-ppm-past-its-end"));
  try {
    decode_image(ppm, 3, "wide.ppm");
    FAIL() << "decoded";
  } catch (const DatasetError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'wide.ppm' declares 6666x686 pixels (27437256 bytes) but has 16 bytes"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << "one line";
  }
}

// yaml-cpp recurses per nesting level without a limit: deep brackets are
// refused before parsing, as is a file far larger than any config.
TEST(BoundedParsers, DeeplyNestedOrHugeYamlIsRefusedBeforeParsing) {
  TempDir dir;
  testing::write_text(dir.file("deep.yaml"), "a: " + std::string(100000, '[') + "\n");
  std::string e = error_of([&] { RawConfig::from_file(dir.file("deep.yaml")); });
  EXPECT_NE(e.find("deep.yaml: brackets nested 100000 deep; at most 64 are accepted"),
            std::string::npos)
      << e;
  testing::write_text(dir.file("big.yaml"), "a: '" + std::string(2 << 20, 'x') + "'\n");
  e = error_of([&] { RawConfig::from_file(dir.file("big.yaml")); });
  EXPECT_NE(e.find("a config or sweep file of at most 1 MiB is expected"), std::string::npos) << e;
  testing::write_text(dir.file("ok.yaml"), "a: {b: [1, 2, {c: 'x [ y'}]}\n");
  EXPECT_EQ(error_of([&] { RawConfig::from_file(dir.file("ok.yaml")); }), "");
}

}  // namespace
}  // namespace metabench
