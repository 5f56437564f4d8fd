// A tiny HTTP/1.1 server on 127.0.0.1 for download tests: serves fixed
// bodies by path, honours "Range: bytes=N-" requests, and can misbehave on
// purpose (cut a transfer short, answer with an error status or an HTML
// page).  One connection at a time, on its own thread.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace metabench::testing {

struct HttpRoute {
  int status = 200;
  std::string body;
  std::string content_type = "application/octet-stream";
  // Announce the whole body but close the connection after this many bytes.
  size_t cut_after = std::string::npos;
};

class HttpTestServer {
 public:
  HttpTestServer();
  ~HttpTestServer();

  void set(const std::string& path, HttpRoute route);
  std::string base_url() const;  // "http://127.0.0.1:PORT"
  // The Range header of each request for `path`, in order ("" when none).
  std::vector<std::string> ranges(const std::string& path);

 private:
  void serve();
  void handle(int client);

  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, HttpRoute> routes_;
  std::map<std::string, std::vector<std::string>> ranges_;
  std::thread thread_;
};

}  // namespace metabench::testing
