// Publishes task events to containerd (Events/Forward over TTRPC_ADDRESS) from a queue of
// its own thread, so the task service never waits for containerd. Events leave in the
// order they were queued; an event that cannot be delivered is retried (containerd may be
// restarting) for up to a minute before it is dropped and logged.
#pragma once
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include <google/protobuf/message_lite.h>

namespace berth::shim {

class Publisher {
 public:
  // ttrpc_address empty: events are dropped (no containerd to tell).
  Publisher(std::string ttrpc_address, std::string ns);
  ~Publisher();
  // Queues an event; type_name is the proto name ("containerd.events.TaskExit").
  void publish(const std::string& topic, const std::string& type_name, const google::protobuf::MessageLite& event);
  // Waits until the queue is empty or `timeout_ms` has passed; then stops the thread.
  void close(int timeout_ms);

 private:
  struct Item {
    std::string topic, type_name, value;
    long long sec;
    int nsec;
  };
  void run();
  std::string address_, ns_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool closing_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace berth::shim
