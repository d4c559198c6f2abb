#include "publisher.hpp"

#include <time.h>

#include <chrono>
#include <memory>

#include "berth/util/log.hpp"
#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb.h"
#include "ttrpc_client.hpp"

namespace berth::shim {

namespace {
constexpr auto kRetryFor = std::chrono::seconds(60);
}

Publisher::Publisher(std::string ttrpc_address, std::string ns) : address_(std::move(ttrpc_address)), ns_(std::move(ns)) {
  if (!address_.empty()) thread_ = std::thread([this] { run(); });
}

Publisher::~Publisher() { close(0); }

void Publisher::publish(const std::string& topic, const std::string& type_name,
                        const google::protobuf::MessageLite& event) {
  if (address_.empty()) return;
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  std::lock_guard<std::mutex> lk(mu_);
  queue_.push_back({topic, type_name, event.SerializeAsString(), ts.tv_sec, static_cast<int>(ts.tv_nsec)});
  cv_.notify_one();
}

void Publisher::close(int timeout_ms) {
  if (!thread_.joinable()) return;
  {
    std::unique_lock<std::mutex> lk(mu_);
    closing_ = true;
    cv_.notify_all();
    cv_.wait_for(lk, std::chrono::milliseconds(timeout_ms), [this] { return queue_.empty(); });
    stop_ = true;
    cv_.notify_all();
  }
  thread_.join();
}

void Publisher::run() {
  std::unique_ptr<ttrpc::Client> client;
  for (;;) {
    Item item;
    {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      item = queue_.front();
    }
    containerd::services::events::ttrpc::v1::ForwardRequest req;
    auto* env = req.mutable_envelope();
    env->mutable_timestamp()->set_seconds(item.sec);
    env->mutable_timestamp()->set_nanos(item.nsec);
    env->set_namespace_(ns_);
    env->set_topic(item.topic);
    env->mutable_event()->set_type_url(item.type_name);
    env->mutable_event()->set_value(item.value);
    std::string payload = req.SerializeAsString();
    auto give_up = std::chrono::steady_clock::now() + kRetryFor;
    auto backoff = std::chrono::milliseconds(20);
    for (;;) {
      try {
        if (!client) client = std::make_unique<ttrpc::Client>(address_);
        client->call("containerd.services.events.ttrpc.v1.Events", "Forward", payload,
                     {{"containerd-namespace-ttrpc", ns_}}, std::chrono::seconds(5));
        break;
      } catch (const std::exception& e) {
        client.reset();
        if (std::chrono::steady_clock::now() > give_up) {
          log::error("publish " + item.topic + ": " + e.what() + " (event dropped)");
          break;
        }
        std::unique_lock<std::mutex> lk(mu_);
        if (cv_.wait_for(lk, backoff, [this] { return stop_; })) return;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
      }
    }
    std::lock_guard<std::mutex> lk(mu_);
    queue_.pop_front();
    if (queue_.empty()) cv_.notify_all();
  }
}

}  // namespace berth::shim
