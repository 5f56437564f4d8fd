// Fashion-MNIST (Xiao et al. 2017) as a cross-domain test set: 10 classes of
// 28x28 grey-scale clothing images, read from the IDX files (gzip) that the
// Debian package `dataset-fashion-mnist` installs in
// /usr/share/datasets/fashion-mnist/.  All ten classes form the test split
// (training and validation are empty), so it is used with `metabench eval`
// on a model trained elsewhere.  data.subset chooses the official test
// images (1000 per class), the training images (6000) or both.
#include <ATen/ATen.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>

#include "core/strings.h"
#include "datasets/class_pool.h"
#include "datasets/image_class_dataset.h"
#include "datasets/io/data_paths.h"
#include "datasets/io/idx.h"
#include "datasets/io/source_files.h"
#include "metabench/dataset.h"
#include "metabench/errors.h"

namespace metabench {
namespace {

constexpr const char* kFashionMnistDecoderVersion = "fashion-mnist-decoder-v1";
constexpr const char* kSystemDir = "/usr/share/datasets/fashion-mnist";
const char* const kClassNames[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                     "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

std::string gunzip_file(const std::string& path) {
  gzFile in = gzopen(path.c_str(), "rb");
  if (!in) throw DatasetError("cannot open '" + path + "'");
  std::string out;
  char buffer[1 << 16];
  int n;
  // Bounded: a damaged or hostile file must not inflate without end (the
  // real training images are 47 MB).
  constexpr size_t kMaxBytes = size_t{1} << 30;
  while ((n = gzread(in, buffer, sizeof(buffer))) > 0) {
    if (out.size() + static_cast<size_t>(n) > kMaxBytes) {
      gzclose(in);
      throw DatasetError("'" + path + "' inflates to more than 1 GiB; not a Fashion-MNIST file");
    }
    out.append(buffer, n);
  }
  int code = Z_OK;
  // Copied before gzclose(), which frees the message (ASan found the read
  // after free).
  const std::string why = gzerror(in, &code);
  gzclose(in);
  if (n < 0 || (code != Z_OK && code != Z_STREAM_END)) {
    throw DatasetError("'" + path + "' is not a valid gzip file (" + why + "); truncated?");
  }
  return out;
}

ClassPool decode_fashion_mnist(const std::string& dir, const std::vector<std::string>& parts) {
  ClassPool pool;
  for (const char* name : kClassNames) pool.add_class(name, "");
  ContentChecksum checksum;
  std::vector<at::Tensor> chunks;
  int64_t count = 0;
  for (const std::string& part : parts) {
    const std::string image_path = dir + "/" + part + "-images-idx3-ubyte.gz";
    const std::string label_path = dir + "/" + part + "-labels-idx1-ubyte.gz";
    const std::string images = gunzip_file(image_path), labels = gunzip_file(label_path);
    checksum.add(part + "-images", images);
    checksum.add(part + "-labels", labels);
    size_t image_offset = 0, label_offset = 0;
    const auto shape = parse_idx_header(images, 3, image_path, &image_offset);
    const auto label_shape = parse_idx_header(labels, 1, label_path, &label_offset);
    if (label_shape[0] != shape[0]) {
      throw DatasetError(format("'%s' has %lld labels for %lld images in '%s'", label_path.c_str(),
                                static_cast<long long>(label_shape[0]),
                                static_cast<long long>(shape[0]), image_path.c_str()));
    }
    at::Tensor chunk = at::empty({shape[0], 1, shape[1], shape[2]}, at::kByte);
    std::memcpy(chunk.data_ptr<uint8_t>(), images.data() + image_offset, chunk.numel());
    for (int64_t i = 0; i < shape[0]; ++i) {
      const uint8_t label = static_cast<uint8_t>(labels[label_offset + i]);
      if (label >= 10) {
        throw DatasetError(format("'%s': label %d of image %lld is not in 0..9", label_path.c_str(),
                                  label, static_cast<long long>(i)));
      }
      pool.class_examples[label].push_back(count + i);
    }
    count += shape[0];
    chunks.push_back(chunk);
  }
  pool.images = at::cat(chunks, 0);
  pool.source_checksum = checksum.hex_digest();
  return pool;
}

// data.* options.
struct FashionMnistOptions {
  std::string dir;  // empty: <data root>/fashion-mnist, else the Debian package's
  std::string subset = "test";
  std::string cache_dir;
};

std::unique_ptr<Dataset> create_fashion_mnist(const DataContext& ctx,
                                              const FashionMnistOptions& o) {
  std::string dir = o.dir;
  if (dir.empty()) {
    // A copy under the data root wins over the Debian package's.
    const std::string local = ctx.data_root + "/fashion-mnist";
    std::error_code ec;
    dir = std::filesystem::is_directory(local, ec) ? local : kSystemDir;
  } else if (!std::filesystem::path(dir).is_absolute()) {
    dir = ctx.data_root + "/" + dir;
  }
  const std::string& subset = o.subset;
  const std::vector<std::string> parts =
      subset == "all" ? std::vector<std::string>{"train", "t10k"}
                      : std::vector<std::string>{subset == "test" ? "t10k" : "train"};
  const std::string hint = "; install the Debian package dataset-fashion-mnist (files in " +
                           std::string(kSystemDir) + ") or set data.dir";
  Sha256 key;
  key.update(kFashionMnistDecoderVersion);
  for (const auto& part : parts) {
    for (const char* kind : {"-images-idx3-ubyte.gz", "-labels-idx1-ubyte.gz"}) {
      const std::string path = dir + "/" + part + kind;
      require_file("fashion-mnist", path, hint);
      key.update(source_fingerprint(path));
    }
  }
  const ClassPool pool = load_or_decode(o.cache_dir, "fashion-mnist", key.hex_digest(),
                                        [&] { return decode_fashion_mnist(dir, parts); });
  return split_pool("fashion-mnist", pool, std::vector<int>(10, 2), /*rotations=*/false);
}

OptionsSchema<FashionMnistOptions> fashion_mnist_options() {
  OptionsSchema<FashionMnistOptions> s;
  s.add_string("dir", &FashionMnistOptions::dir,
               "IDX folder; empty: <data root>/fashion-mnist, else the Debian package's")
      .not_hashed();
  s.add_string("subset", &FashionMnistOptions::subset, "which official images to use")
      .choices({"test", "train", "all"});
  add_cache_dir_option(s);
  return s;
}

METABENCH_REGISTER_DATASET(
    DatasetInfo("fashion-mnist",
                "Fashion-MNIST (Debian dataset-fashion-mnist), 10 classes, 28x28 grey; test split "
                "only",
                TaskKind::kClassification)
        .factory(fashion_mnist_options(), create_fashion_mnist));

}  // namespace
}  // namespace metabench
