// Store connections shared by the request threads: a Store is used by one thread at a time, so
// each request leases one for its duration and hands it back.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "headspa/store/store.hpp"

namespace headspa::server {

class StorePool {
 public:
  explicit StorePool(std::string location) : location_(std::move(location)) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<store::Store> s) : pool_(pool), store_(std::move(s)) {}
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (store_) pool_->give_back(std::move(store_));
    }
    store::Store& operator*() const noexcept { return *store_; }
    store::Store* operator->() const noexcept { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<store::Store> store_;
  };

  // A connection of its own for the caller's thread (opened when none is free).
  Lease acquire() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        auto s = std::move(free_.back());
        free_.pop_back();
        return Lease(this, std::move(s));
      }
    }
    store::OpenOptions o;
    o.migrate = false;
    o.create = false;
    return Lease(this, std::make_unique<store::Store>(store::open_store(location_, o)));
  }

  const std::string& location() const noexcept { return location_; }

 private:
  void give_back(std::unique_ptr<store::Store> s) {
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(s));
  }

  std::string location_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<store::Store>> free_;
};

}  // namespace headspa::server
