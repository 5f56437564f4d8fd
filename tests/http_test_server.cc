#include "tests/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sstream>
#include <stdexcept>

namespace metabench::testing {
namespace {

void send_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return;
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

HttpTestServer::HttpTestServer() {
  listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::listen(listener_, 8) != 0) {
    throw std::runtime_error("HttpTestServer: cannot listen on 127.0.0.1");
  }
  socklen_t length = sizeof(address);
  ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { serve(); });
}

HttpTestServer::~HttpTestServer() {
  stop_ = true;
  thread_.join();
  ::close(listener_);
}

void HttpTestServer::set(const std::string& path, HttpRoute route) {
  std::lock_guard<std::mutex> lock(mutex_);
  routes_[path] = std::move(route);
}

std::string HttpTestServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<std::string> HttpTestServer::ranges(const std::string& path) {
  std::lock_guard<std::mutex> lock(mutex_);
  return ranges_[path];
}

void HttpTestServer::serve() {
  while (!stop_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int client = ::accept(listener_, nullptr, nullptr);
    if (client < 0) continue;
    handle(client);
    ::close(client);
  }
}

void HttpTestServer::handle(int client) {
  std::string request;
  char buffer[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  std::istringstream lines(request);
  std::string method, path, line, range;
  lines >> method >> path;
  std::getline(lines, line);
  while (std::getline(lines, line) && line != "\r") {
    if (line.rfind("Range:", 0) == 0 || line.rfind("range:", 0) == 0) {
      range = line.substr(6);
      range.erase(0, range.find_first_not_of(' '));
      if (!range.empty() && range.back() == '\r') range.pop_back();
    }
  }
  HttpRoute route;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ranges_[path].push_back(range);
    auto it = routes_.find(path);
    if (it != routes_.end()) {
      route = it->second;
      found = true;
    }
  }
  if (!found) route = HttpRoute{404, "<html><body>not found</body></html>", "text/html"};
  size_t start = 0;
  int status = route.status;
  if (status == 200 && range.rfind("bytes=", 0) == 0) {
    start = std::stoul(range.substr(6));
    status = start < route.body.size() ? 206 : 416;
  }
  const std::string body =
      status == 416 ? "" : route.body.substr(std::min(start, route.body.size()));
  std::ostringstream head;
  head << "HTTP/1.1 " << status << (status < 300 ? " OK" : " Error") << "\r\n"
       << "Content-Type: " << route.content_type << "\r\n"
       << "Content-Length: " << body.size() << "\r\n"
       << "Accept-Ranges: bytes\r\n";
  if (status == 206) {
    head << "Content-Range: bytes " << start << "-" << route.body.size() - 1 << "/"
         << route.body.size() << "\r\n";
  }
  head << "Connection: close\r\n\r\n";
  const std::string header = head.str();
  send_all(client, header.data(), header.size());
  const size_t send = std::min(body.size(), route.cut_after);
  send_all(client, body.data(), send);
}

}  // namespace metabench::testing
